"""Get-, Add- and Remove-ADPermission on receive connectors.

Sources: Microsoft's cmdlet docs (exchange/exchange-ps/ExchangePowerShell/
{Get,Add,Remove}-ADPermission.md) and the behaviour of Exchange's permission
tasks (decompiled Exchange 2013: SetADPermissionTaskBase, DirectoryCommon):
- Add builds one entry per extended right (plus one per kind of access right),
  writes those not already granted, and writes every entry it built as output;
  an entry that exists is a warning, not an error, and changes nothing.
- Remove writes nothing; an entry that isn't there is a warning; an entry
  found only among the inherited ones is an error.
- An inherited entry given as -Instance (Get-ADPermission | Remove-ADPermission)
  is skipped with a warning.
"""
from dataclasses import dataclass
from typing import Any, Optional

from exchange_lab import variants
from exchange_lab.exchange import acl, ace_shapes, connector_acl, errors, receive_connector, shapes
from exchange_lab.exchange.acl import Ace
from exchange_lab.exchange.api import CmdletError, Command
from exchange_lab.exchange.binding import CONFIRM, WHATIF, Param, as_identity, as_string, bind, switch
from exchange_lab.exchange.context import Context, Outcome
from exchange_lab.exchange.principals import Directory

_NS = errors.RECIPIENT_TASKS_NAMESPACE
_CONFIG = errors.CONFIGURATION_TASKS


def _as_user(value: Any) -> Optional[str]:
    """SecurityPrincipalIdParameter from a name, a SID, or a principal object (its SID)."""
    sid = ace_shapes.read_instance_user(value)
    return sid if sid is not None else as_string(value)


def _as_rights(value: Any) -> Optional[list[int]]:
    """ActiveDirectoryRights[]: each element a [Flags] value ("ReadProperty, WriteProperty" is one element)."""
    if value is None:
        return None
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    return [acl.RIGHTS.parse(item) for item in items]


def _as_names(value: Any) -> Optional[list[str]]:
    if value is None:
        return None
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    return [shapes.plain_text(item) if hasattr(item, "PSObject") else str(item) for item in items]


_IDENTITY = Param("Identity", as_identity, "Microsoft.Exchange.Configuration.Tasks.ADRawEntryIdParameter", position=0)
_USER = Param("User", _as_user, "Microsoft.Exchange.Configuration.Tasks.SecurityPrincipalIdParameter")
_CHANGE_PARAMS = [
    _IDENTITY, _USER, Param("Instance", lambda v: v, ace_shapes.ACE_TYPE_NAMES[0]),
    Param("AccessRights", _as_rights, "System.DirectoryServices.ActiveDirectoryRights[]"),
    Param("ExtendedRights", _as_names, "Microsoft.Exchange.Configuration.Tasks.ExtendedRightIdParameter[]"),
    switch("Deny"),
    Param("InheritanceType", acl.INHERITANCE.parse, acl.INHERITANCE.type_name),
    CONFIRM, WHATIF,
]
# GUESS: the lab leaves out -Owner, -ChildObjectTypes, -Properties and -InheritedObjectType (schema lookups).


@dataclass
class Request:
    """One record to process: the connector named, and the entry fields (from parameters and -Instance)."""

    identity: Optional[str]
    user: Optional[str]
    access_rights: Optional[list[int]]
    extended_rights: Optional[list[str]]
    deny: bool
    inheritance: int
    inherited_instance: bool = False


# --------------------------------------------------------------------------
# Get-ADPermission
# --------------------------------------------------------------------------
def get_ad_permission(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    cmdlet = "Get-ADPermission"
    bound = bind(cmdlet, [_IDENTITY, _USER], command)
    outcome = Outcome()
    if inputs is not None and not inputs:
        return outcome
    identities = [bound["Identity"]] if "Identity" in bound else [as_identity(i) for i in inputs or []]
    if not identities or identities == [None]:
        raise errors.missing_mandatory(cmdlet, ["Identity"])
    directory = connector_acl.directory_of(ctx)
    sid = None
    if bound.get("User") is not None:
        sid = _resolve_user(ctx, cmdlet, directory, bound["User"])
    for identity in identities:
        try:
            connectors = [_connector(ctx, cmdlet, identity)]
        except CmdletError as failure:
            if not (_is_miss(failure) and variants.is_active("identity-miss-returns-all")):
                outcome.errors.append(failure)
                continue
            # Get-ADPermission.md (Caution): "a non-existent value for the Identity parameter returns *all*
            # objects". GUESS: for a connector identity, "all objects" are the ACEs of every connector.
            connectors = ctx.store.of_type(receive_connector.CONNECTOR)
        for connector in connectors:
            connector_identity = shapes.property_value(connector, "Identity")
            outcome.output.extend(ace_shapes.ace_object(ace, connector_identity, directory)
                                  for ace in connector_acl.full_acl(ctx, connector) if sid is None or ace.sid == sid)
    return outcome


def _is_miss(failure: CmdletError) -> bool:
    return failure.exception_type.endswith(".ManagementObjectNotFoundException")


# --------------------------------------------------------------------------
# Add-ADPermission / Remove-ADPermission
# --------------------------------------------------------------------------
def add_ad_permission(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    return _change(ctx, "Add-ADPermission", command, inputs, remove=False)


def remove_ad_permission(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    return _change(ctx, "Remove-ADPermission", command, inputs, remove=True)


def _change(ctx: Context, cmdlet: str, command: Command, inputs: Optional[list[Any]], remove: bool) -> Outcome:
    bound = bind(cmdlet, _CHANGE_PARAMS, command)
    outcome = Outcome()
    if inputs is not None and not inputs:
        return outcome
    directory = connector_acl.directory_of(ctx)
    for request in _requests(cmdlet, bound, inputs):
        try:
            if request.inherited_instance:
                # SetPermissionTaskBase.InternalValidate: an inherited -Instance is a warning, nothing more.
                outcome.warnings.append(  # GUESS: wording of ErrorWillNotPerformOnInheritedAccessRight
                    f"The access control entry on object \"{request.identity}\" is inherited and won't be "
                    "changed.")
                continue
            if _apply(ctx, cmdlet, bound, request, directory, outcome, remove):
                outcome.changed = True
        except CmdletError as failure:
            outcome.errors.append(failure)
    return outcome


def _requests(cmdlet: str, bound: dict[str, Any], inputs: Optional[list[Any]]) -> list[Request]:
    """Parameter sets: -Instance (or an ACE piped in) gives defaults; otherwise -User is mandatory."""
    instances = [bound["Instance"]] if bound.get("Instance") is not None else []
    identities: list[Optional[str]] = []
    if "Identity" in bound:
        identities = [bound["Identity"]]
    for item in inputs or []:
        if ace_shapes.is_ace_object(item) and "Instance" not in bound:
            instances.append(item)
        elif "Identity" not in bound:
            identities.append(as_identity(item))
    requests = []
    for instance in instances:
        fields = ace_shapes.read_instance(instance)
        requests.append(Request(
            bound.get("Identity") or fields["Identity"], bound.get("User") or fields["User"],
            bound["AccessRights"] if "AccessRights" in bound else fields["AccessRights"],
            bound["ExtendedRights"] if "ExtendedRights" in bound else fields["ExtendedRights"],
            bool(bound["Deny"]) if "Deny" in bound else fields["Deny"],
            bound.get("InheritanceType", fields["InheritanceType"]), fields["IsInherited"]))
    if instances:
        return requests
    missing = [name for name, given in (("Identity", identities), ("User", bound.get("User"))) if not given]
    if missing:
        raise errors.missing_mandatory(cmdlet, missing)
    return [Request(identity, bound["User"], bound.get("AccessRights"), bound.get("ExtendedRights"),
                    bool(bound.get("Deny", False)), bound.get("InheritanceType", acl.ALL))
            for identity in identities]


def _apply(ctx: Context, cmdlet: str, bound: dict[str, Any], request: Request, directory: Directory,
           outcome: Outcome, remove: bool) -> bool:
    if request.identity is None:
        raise errors.missing_mandatory(cmdlet, ["Identity"])
    connector = _connector(ctx, cmdlet, request.identity)
    sid = _resolve_user(ctx, cmdlet, directory, request.user)
    wanted = _construct(ctx, cmdlet, sid, request)
    if bound.get("WhatIf"):
        return False
    dn = str(shapes.property_value(connector, "DistinguishedName"))
    if remove:
        # Remove-ADPermission.md, -Confirm: destructive cmdlets pause unless -Confirm:$false.
        if bound.get("Confirm", True):
            raise errors.confirmation_needed(cmdlet, "Removing Active Directory permission",  # GUESS: wording
                                             request.identity)
        return _remove(ctx, cmdlet, connector, wanted, dn, directory, outcome)
    if bound.get("Confirm"):
        raise errors.confirmation_needed(cmdlet, "Adding Active Directory permission",  # GUESS: wording
                                         request.identity)
    changed = _add(ctx, connector, wanted, dn, directory, outcome)
    identity = shapes.property_value(connector, "Identity")
    # AddADPermission.WriteAces: every entry built is written, whether it was new or not.
    outcome.output.extend(ace_shapes.ace_object(ace, identity, directory) for ace in wanted)
    return changed


def _add(ctx: Context, connector: Any, wanted: list[Ace], dn: str, directory: Directory, outcome: Outcome) -> bool:
    explicit = connector_acl.explicit_aces(ctx, connector)
    changed = False
    for ace in wanted:
        present = next((a for a in acl.canonical(explicit + connector_acl.inherited_aces(ctx))
                        if acl.covers(a, ace)), None)
        if present is not None and not present.inherited:
            # DirectoryCommon.ApplyAcesOnAcl: InfoAceAlreadyPresent goes to the warning stream.
            outcome.warnings.append(
                f"The appropriate access control entry is already present on object \"{dn}\" for account "
                f"\"{_account(directory, ace.sid)}\".")  # GUESS: the wording after "present on object"
            continue
        explicit = acl.merge(explicit, ace)
        changed = True
    if changed:
        connector_acl.write_aces(ctx, connector, explicit)
    return changed


def _remove(ctx: Context, cmdlet: str, connector: Any, wanted: list[Ace], dn: str, directory: Directory,
            outcome: Outcome) -> bool:
    explicit = connector_acl.explicit_aces(ctx, connector)
    changed = False
    for ace in wanted:
        found = next((a for a in acl.canonical(explicit + connector_acl.inherited_aces(ctx))
                      if acl.overlaps(a, ace)), None)
        if found is None:
            outcome.warnings.append(_not_present(dn, ace, directory))
            continue
        if found.inherited:
            # DirectoryCommon.ApplyAcesOnAcl: ErrorWillNotPerformOnInheritedAce, a TaskInvalidOperationException.
            outcome.errors.append(ctx.reporter.task_error(
                cmdlet, f"{_CONFIG}.TaskInvalidOperationException",
                f"An inherited access control entry has been specified: [Rights: {acl.format_rights(found.rights)}, "
                f"ControlType: {'Deny' if found.deny else 'Allow'}] and was ignored on object \"{dn}\".",  # GUESS
                "InvalidOperation", task_namespace=_NS))
            continue
        explicit = acl.subtract(explicit, ace)
        changed = True
    if changed:
        connector_acl.write_aces(ctx, connector, explicit)
    return changed


def _not_present(dn: str, ace: Ace, directory: Directory) -> str:
    """InfoAttributeAceNotPresent for object entries, InfoAceNotPresent otherwise."""
    # GUESS: the wording of both messages.
    if ace.extended_right:
        attribute = f"{acl.format_rights(ace.rights)} (ObjectType: {acl.rights_guid(ace.extended_right)})"
        return (f"Can't remove the access control entry on the object \"{dn}\" for attribute \"{attribute}\" "
                "because the ACE isn't present.")
    return (f"Can't remove the access control entry on the object \"{dn}\" for account "
            f"\"{_account(directory, ace.sid)}\" because the ACE isn't present.")


def _account(directory: Directory, sid: str) -> str:
    """SecurityPrincipalIdParameter.GetFriendlyUserName: the account name, the SID if it has none."""
    return directory.account_name(sid) or sid


# --------------------------------------------------------------------------
# Building the entries (SetADPermissionTaskBase.InternalValidate / ConstructAcl)
# --------------------------------------------------------------------------
def _construct(ctx: Context, cmdlet: str, sid: str, request: Request) -> list[Ace]:
    rights, extended = request.access_rights, request.extended_rights
    if rights is None and extended is None:
        raise ctx.reporter.task_error(
            cmdlet, f"{_NS}.MustSpecifyEitherAccessOrExtendedRightsException",
            "You must specify either the AccessRights or the ExtendedRights parameter.",  # GUESS: wording
            "InvalidData", task_namespace=_NS)
    generic_all = any(value == acl.GENERIC_ALL for value in rights or [])
    if generic_all and len(rights) > 1:
        raise ctx.reporter.task_error(
            cmdlet, "System.ArgumentException", "GenericAll can't be used with other access rights.",  # GUESS
            "InvalidArgument", task_namespace=_NS)
    all_extended = any(name.lower() == "all" for name in extended or [])
    names = []
    for name in [] if all_extended else extended or []:
        canonical = acl.extended_right(name)
        if canonical is None:
            raise ctx.reporter.task_error(
                cmdlet, f"{_CONFIG}.ManagementObjectNotFoundException",
                f"The extended right \"{name}\" couldn't be found.", target=name,  # GUESS: wording
                task_namespace=_NS)
        names.append(canonical)

    def entry(mask: int, right: Optional[str] = None) -> Ace:
        return Ace(sid, mask, right, request.deny, request.inheritance)

    aces = [entry(acl.EXTENDED_RIGHT)] if all_extended else [entry(acl.EXTENDED_RIGHT, n) for n in names]
    if generic_all:
        return aces + [entry(acl.GENERIC_ALL)]
    for value in rights or []:
        if value & acl.EXTENDED_RIGHT and not all_extended and not names:
            aces.append(entry(acl.EXTENDED_RIGHT))
        if value & acl.CHILD_RIGHTS:
            aces.append(entry(value & acl.CHILD_RIGHTS))
        if value & acl.PROPERTY_RIGHTS:
            aces.append(entry(value & acl.PROPERTY_RIGHTS))
        rest = value & ~(acl.EXTENDED_RIGHT | acl.CHILD_RIGHTS | acl.PROPERTY_RIGHTS)
        if rest:
            aces.append(entry(rest))
    return aces


# --------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------
def _connector(ctx: Context, cmdlet: str, identity: str) -> Any:
    matches = receive_connector.find(ctx, identity)
    if not matches:
        raise ctx.reporter.not_found(cmdlet, identity, task_namespace=_NS)
    if len(matches) > 1:
        raise ctx.reporter.ambiguous(cmdlet, identity, task_namespace=_NS)
    return matches[0]


def _resolve_user(ctx: Context, cmdlet: str, directory: Directory, user: Optional[str]) -> str:
    sid = directory.resolve(user or "")
    if sid is None:
        # SecurityPrincipalIdParameter.GetSecurityPrincipal: ErrorUserNotFound, category InvalidData.
        raise ctx.reporter.task_error(
            cmdlet, f"{_CONFIG}.ManagementObjectNotFoundException",
            f"User or group \"{user}\" wasn't found. Please make sure you've typed it correctly.",  # GUESS
            "InvalidData", target=user, task_namespace=_NS)
    return sid


CMDLETS = {
    "get-adpermission": get_ad_permission,
    "add-adpermission": add_ad_permission,
    "remove-adpermission": remove_ad_permission,
}
