"""ADAcePresentationObject, what Get-/Add-ADPermission write, and reading one back as -Instance.

Property set and order from Exchange's classes (decompiled Exchange 2013):
ADAcePresentationObject declares AccessRights, ExtendedRights,
ChildObjectTypes, InheritedObjectType, Properties; its base
AcePresentationObject Deny, InheritanceType, User, Identity, IsInherited;
ConfigurableObject IsValid, ObjectState. PowerShell lists the most derived
class's properties first, as the receive connector capture shows.
"""
from typing import Any, Optional

from psrpcore.types import PSInt, PSList, PSObject, PSString

from exchange_lab.exchange import acl, shapes
from exchange_lab.exchange.acl import Ace
from exchange_lab.exchange.principals import Directory

_RECIPIENT_TASKS = "Microsoft.Exchange.Management.RecipientTasks"
_CONFIG_TASKS = "Microsoft.Exchange.Configuration.Tasks"
ACE_TYPE_NAMES = [f"{_RECIPIENT_TASKS}.ADAcePresentationObject", f"{_RECIPIENT_TASKS}.AcePresentationObject",
                  "Microsoft.Exchange.Data.ConfigurableObject", "System.Object"]
_ENUM_BASES = ["System.Enum", "System.ValueType", "System.Object"]


def ace_object(ace: Ace, identity: PSObject, directory: Directory) -> PSObject:
    """One ACE of an object, as Get-ADPermission / Add-ADPermission write it."""
    extended = None
    if ace.rights & acl.EXTENDED_RIGHT and ace.extended_right:
        # ExtendedRights is resolved only for an ExtendedRight entry with an object type.
        extended = _array(f"{_CONFIG_TASKS}.ExtendedRightIdParameter", [shapes.new_object(
            [f"{_CONFIG_TASKS}.ExtendedRightIdParameter", f"{_CONFIG_TASKS}.ADIdParameter", "System.Object"],
            ace.extended_right)])
    rights = shapes.captured_enum([acl.RIGHTS.type_name, *_ENUM_BASES], ace.rights, acl.format_rights(ace.rights))
    return shapes.new_object(ACE_TYPE_NAMES, shapes.plain_text(identity), [
        ("AccessRights", _array(acl.RIGHTS.type_name, [rights])),
        ("ExtendedRights", extended),
        ("ChildObjectTypes", None),
        ("InheritedObjectType", None),
        ("Properties", None),
        ("Deny", _switch(ace.deny)),
        ("InheritanceType", shapes.enum_value(acl.INHERITANCE, ace.inheritance)),
        ("User", user_object(ace.sid, directory)),
        ("Identity", identity),
        ("IsInherited", ace.inherited),
        ("IsValid", True),
        # GUESS: ResetChangeTracking(true) leaves the written object Unchanged.
        ("ObjectState", shapes.enum_value(shapes.OBJECT_STATE, 1)),
    ])


def user_object(sid: str, directory: Directory) -> PSObject:
    """SecurityPrincipalIdParameter: prints the account name; its public SecurityIdentifier holds the SID."""
    # GUESS: serialized one level deep like the connector's nested values; the SID object carries
    # SecurityIdentifier's public properties (BinaryLength, AccountDomainSid, Value).
    parts = sid.split("-")
    domain_sid = "-".join(parts[:-1]) if sid.startswith("S-1-5-21-") and len(parts) == 8 else None
    security_identifier = shapes.new_object(
        ["System.Security.Principal.SecurityIdentifier", "System.Security.Principal.IdentityReference",
         "System.Object"], sid,
        [("BinaryLength", PSInt(8 + 4 * (len(parts) - 3))), ("AccountDomainSid", shapes.text(domain_sid)),
         ("Value", PSString(sid))])
    return shapes.new_object(
        [f"{_CONFIG_TASKS}.SecurityPrincipalIdParameter", f"{_CONFIG_TASKS}.RecipientIdParameter",
         f"{_CONFIG_TASKS}.ADIdParameter", "System.Object"],
        directory.display_name(sid),
        [("SecurityIdentifier", security_identifier), ("ReturnUrlTokenEncodedString", False)])


def _switch(present: bool) -> PSObject:
    # GUESS: SwitchParameter serializes as a value type with IsPresent and prints True/False.
    return shapes.new_object(["System.Management.Automation.SwitchParameter", "System.ValueType", "System.Object"],
                             "True" if present else "False", [("IsPresent", present)])


def _array(element_type: str, items: list) -> PSList:
    values = PSList(items)
    values.PSObject.type_names = [f"{element_type}[]", "System.Array", "System.Object"]
    return values


# --------------------------------------------------------------------------
# Reading an ACE object (pipeline input or -Instance)
# --------------------------------------------------------------------------
def is_ace_object(value: Any) -> bool:
    names = getattr(getattr(value, "PSObject", None), "type_names", None) or []
    return any(name.endswith("RecipientTasks.ADAcePresentationObject") for name in names)


def read_instance(value: PSObject) -> dict[str, Any]:
    """The fields an -Instance contributes: User (SID or name), rights, Deny, InheritanceType, Identity."""
    user = _prop(value, "User")
    sid = read_instance_user(user)
    rights = _prop(value, "AccessRights")
    extended = _prop(value, "ExtendedRights")
    deny = _prop(value, "Deny")
    present = _prop(deny, "IsPresent") if isinstance(deny, PSObject) else deny
    inheritance = _prop(value, "InheritanceType")
    identity = _prop(value, "Identity")
    return {
        "User": sid if sid is not None else (None if user is None else _text(user)),
        "AccessRights": None if rights is None else [int(r) for r in rights],
        "ExtendedRights": None if extended is None else [_text(r) for r in extended],
        "Deny": str(present).lower() == "true" if present is not None else False,
        "InheritanceType": acl.ALL if inheritance is None else int(inheritance),
        "Identity": None if identity is None else _text(identity),
        "IsInherited": str(_prop(value, "IsInherited")).lower() == "true",
    }


def read_instance_user(value: Any) -> Optional[str]:
    """The SID of a principal object (an ACE's User), None for anything else."""
    sid = _prop(value, "SecurityIdentifier")
    return None if sid is None else _text(sid)


def _text(value: Any) -> str:
    return shapes.plain_text(value) if isinstance(value, PSObject) else str(value)


def _prop(value: Any, name: str) -> Optional[Any]:
    if not isinstance(value, PSObject):
        return None
    try:
        return shapes.property_value(value, name)
    except KeyError:
        return None
