"""The access control list of each receive connector, kept in the store.

Explicit entries live in one lab object per connector (type
``ExchangeLab.ConnectorSecurity``: the connector's GUID, the permission groups
the entries were last written for, and the entries in ``acl.Ace.to_text``
form). A connector without one has exactly the entries its PermissionGroups
imply (what setup and New-ReceiveConnector write), so the object is created on
first use. Setting PermissionGroups writes the entries of the groups added and
removes those of the groups taken away (``sync_permission_groups``, called by
New-/Set-ReceiveConnector); Remove-ReceiveConnector drops the object.

Inherited entries come from the containers above the connector and are the
same on every connector.
"""
from typing import Optional

from psrpcore.types import PSInt, PSList, PSObject, PSString

from exchange_lab.exchange import acl, principals, shapes
from exchange_lab.exchange.acl import EXTENDED_RIGHT, Ace
from exchange_lab.exchange.context import Context

SECURITY_TYPE = "ExchangeLab.ConnectorSecurity"

# Microsoft's "Receive connectors" article, "Receive connector permission groups" table.
_ANONYMOUS_RIGHTS = ["ms-Exch-Accept-Headers-Routing", "ms-Exch-SMTP-Accept-Any-Sender",
                     "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender", "ms-Exch-SMTP-Submit"]
_EXCHANGE_USERS_RIGHTS = ["ms-Exch-Accept-Headers-Routing", "ms-Exch-Bypass-Anti-Spam",
                          "ms-Exch-SMTP-Accept-Any-Recipient", "ms-Exch-SMTP-Submit"]
_SERVER_RIGHTS = ["ms-Exch-Accept-Headers-Routing", "ms-Exch-Bypass-Anti-Spam", "ms-Exch-Bypass-Message-Size-Limit",
                  "ms-Exch-SMTP-Accept-Any-Recipient", "ms-Exch-SMTP-Accept-Any-Sender",
                  "ms-Exch-SMTP-Accept-Authentication-Flag", "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender",
                  "ms-Exch-SMTP-Accept-Exch50", "ms-Exch-SMTP-Submit"]
# ...and the header-firewall rights plus the internal ones the article's notes list for the
# ExchangeServers principals other than Externally Secured Servers.
_EXCHANGE_SERVER_RIGHTS = _SERVER_RIGHTS + [
    "ms-Exch-Accept-Headers-Forest", "ms-Exch-Accept-Headers-Organization", "ms-Exch-SMTP-Accept-Xattr",
    "ms-Exch-SMTP-Accept-XProxyFrom", "ms-Exch-SMTP-Accept-XSessionParams", "ms-Exch-SMTP-Accept-XShadow",
    "ms-Exch-SMTP-Accept-XSysProbe", "ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache",
    "ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties", "ms-Exch-SMTP-Send-XMessageContext-FastIndex"]
_PARTNER_RIGHTS = ["ms-Exch-Accept-Headers-Routing", "ms-Exch-SMTP-Submit"]
# The deployment permissions reference shows ExchangeLegacyInterop denied the forest and organization headers.
_LEGACY_DENIED = ["ms-Exch-Accept-Headers-Forest", "ms-Exch-Accept-Headers-Organization"]

_ANONYMOUS_USERS, _EXCHANGE_USERS, _EXCHANGE_SERVERS, _LEGACY_SERVERS, _PARTNERS = 1, 2, 4, 8, 16


def group_aces(ctx: Context, groups: int) -> list[Ace]:
    """The explicit entries the permission groups in ``groups`` stand for (InheritanceType All, as deployed)."""
    directory = directory_of(ctx)

    def grant(sid: str, rights: list[str], deny: bool = False) -> list[Ace]:
        return [Ace(sid, EXTENDED_RIGHT, right, deny) for right in rights]

    aces: list[Ace] = []
    if groups & _ANONYMOUS_USERS:
        aces += grant(principals.ANONYMOUS, _ANONYMOUS_RIGHTS)
    if groups & _EXCHANGE_USERS:
        aces += grant(principals.AUTHENTICATED_USERS, _EXCHANGE_USERS_RIGHTS)
    if groups & _EXCHANGE_SERVERS:
        for sid in (directory.sid_of("Exchange Servers"), principals.HUB_TRANSPORT_SERVERS,
                    principals.EDGE_TRANSPORT_SERVERS):
            aces += grant(sid, _EXCHANGE_SERVER_RIGHTS)
        aces += grant(principals.EXTERNALLY_SECURED_SERVERS, _SERVER_RIGHTS)
    if groups & _LEGACY_SERVERS:
        legacy = directory.sid_of("ExchangeLegacyInterop")
        aces += grant(legacy, _LEGACY_DENIED, deny=True) + grant(legacy, _SERVER_RIGHTS)
    if groups & _PARTNERS:
        aces += grant(principals.PARTNER_SERVERS, _PARTNER_RIGHTS)
    return aces


def inherited_aces(ctx: Context) -> list[Ace]:
    """What the connector inherits from the Microsoft Exchange and organisation containers."""
    # GUESS: a small subset of the deployment permissions reference (Microsoft Exchange container:
    # Organization Management and Exchange Trusted Subsystem full control, Exchange Servers read;
    # organisation container: Exchange Servers and Local System all extended rights).
    directory = directory_of(ctx)
    return [
        Ace(directory.sid_of("Organization Management"), acl.GENERIC_ALL, inherited=True),
        Ace(directory.sid_of("Exchange Trusted Subsystem"), acl.GENERIC_ALL, inherited=True),
        Ace(directory.sid_of("Exchange Servers"), 0x20094, inherited=True),  # GenericRead
        Ace(directory.sid_of("Exchange Servers"), EXTENDED_RIGHT, inherited=True),
        Ace(principals.SYSTEM, EXTENDED_RIGHT, inherited=True),
    ]


def directory_of(ctx: Context) -> principals.Directory:
    server = ctx.local_server
    return principals.Directory(server.domain_id if server else "lab.test", ctx.language)


# --------------------------------------------------------------------------
# The stored explicit entries
# --------------------------------------------------------------------------
def explicit_aces(ctx: Context, connector: PSObject) -> list[Ace]:
    return [Ace.from_text(text) for text in shapes.property_value(_security(ctx, connector), "Aces")]


def full_acl(ctx: Context, connector: PSObject) -> list[Ace]:
    """What Get-ADPermission lists: explicit entries in canonical order, then the inherited ones."""
    return acl.canonical(explicit_aces(ctx, connector) + inherited_aces(ctx))


def write_aces(ctx: Context, connector: PSObject, aces: list[Ace]) -> None:
    security = _security(ctx, connector)
    shapes.set_property(security, "Aces", _texts(aces))
    ctx.store.changed(security)


def sync_permission_groups(ctx: Context, connector: PSObject) -> None:
    """After New-/Set-ReceiveConnector: entries follow the connector's PermissionGroups."""
    security = _find(ctx, connector)
    groups = int(shapes.property_value(connector, "PermissionGroups"))
    if security is None:
        _security(ctx, connector)  # created for the current groups
        return
    written = int(shapes.property_value(security, "PermissionGroups"))
    if written == groups:
        return
    aces = [Ace.from_text(text) for text in shapes.property_value(security, "Aces")]
    # GUESS: a group taken away loses its entries, a group added gets them (as setting the groups in EAC does).
    for gone in group_aces(ctx, written & ~groups):
        aces = acl.subtract(aces, gone)
    for new in group_aces(ctx, groups & ~written):
        aces = acl.merge(aces, new)
    shapes.set_property(security, "Aces", _texts(aces))
    shapes.set_property(security, "PermissionGroups", PSInt(groups))
    ctx.store.changed(security)


def forget(ctx: Context, connector: PSObject) -> None:
    """After Remove-ReceiveConnector: its security descriptor goes with it."""
    security = _find(ctx, connector)
    if security is not None:
        ctx.store.remove(security)


def _guid(connector: PSObject) -> str:
    return str(shapes.property_value(connector, "Guid")).lower()


def _find(ctx: Context, connector: PSObject) -> Optional[PSObject]:
    guid = _guid(connector)
    return next((obj for obj in ctx.store.of_type(SECURITY_TYPE)
                 if str(shapes.property_value(obj, "ConnectorGuid")).lower() == guid), None)


def _security(ctx: Context, connector: PSObject) -> PSObject:
    found = _find(ctx, connector)
    if found is not None:
        return found
    groups = int(shapes.property_value(connector, "PermissionGroups"))
    security = shapes.new_object([SECURITY_TYPE, "System.Object"], None, [
        ("ConnectorGuid", PSString(_guid(connector))), ("PermissionGroups", PSInt(groups)),
        ("Aces", _texts(group_aces(ctx, groups)))])
    ctx.store.add(security)
    return security


def _texts(aces: list[Ace]) -> PSList:
    return PSList([PSString(ace.to_text()) for ace in aces])
