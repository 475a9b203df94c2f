"""New-, Set-, Get- and Remove-InboundConnector on the lab tenant.

Rules from Microsoft's docs (New-InboundConnector.md, Set-InboundConnector.md,
Get-InboundConnector.md, Remove-InboundConnector.md); value rules in ``values``:
- Name is mandatory on New, SenderDomains is mandatory on New;
- ConnectorType is OnPremises or Partner;
- TreatMessagesAsInternal can't be $true when CloudServicesMailEnabled is $true, nor when
  ConnectorType isn't OnPremises;
- AssociatedAcceptedDomains must be accepted domains of the organisation;
- creation is restricted in Microsoft 365 E5 developer subscriptions (lab flag).
"""
import copy
import uuid
from typing import Any

from .. import variants
from . import errors, values
from .binding import Param, bind, identity, result_size
from .results import CmdletResult
from .tenant import Tenant, utc_now

CONNECTOR_TYPES = ("OnPremises", "Partner")
CONNECTOR_SOURCES = ("Default", "HybridWizard", "Migrated", "AdminUI")
# GUESS: the longest connector name EXO accepts (the AD cn limit of 64).
MAX_NAME_LENGTH = 64

_SETTABLE = [
    Param("AssociatedAcceptedDomains", values.multi_valued(values.domain_name, values.STRINGS)),
    Param("CloudServicesMailEnabled", values.boolean),
    Param("Comment", values.text),
    Param("ConnectorSource", values.enumeration("Microsoft.Exchange.Data.TenantConnectorSource", CONNECTOR_SOURCES)),
    Param("ConnectorType", values.enumeration("Microsoft.Exchange.Data.TenantConnectorType", CONNECTOR_TYPES)),
    Param("EFSkipIPs", values.multi_valued(values.any_ip, values.IP_RANGES)),
    Param("EFSkipLastIP", values.boolean),
    Param("EFSkipMailGateway", values.multi_valued(values.plain, values.STRINGS)),
    Param("EFTestMode", values.boolean),
    Param("EFUsers", values.multi_valued(values.smtp_address, values.STRINGS)),
    Param("Enabled", values.boolean),
    Param("RequireTls", values.boolean),
    Param("RestrictDomainsToCertificate", values.boolean),
    Param("RestrictDomainsToIPAddresses", values.boolean),
    Param("ScanAndDropRecipients", values.multi_valued(values.plain, values.STRINGS)),
    Param("SenderIPAddresses", values.multi_valued(values.sender_ip, values.IP_RANGES)),
    Param("TlsSenderCertificateName", values.tls_certificate_name),
    Param("TreatMessagesAsInternal", values.boolean),
    Param("TrustedOrganizations", values.multi_valued(values.domain_name, values.STRINGS)),
]
_NEW = [Param("Name", values.text, mandatory=True),
        Param("SenderDomains", values.multi_valued(values.sender_domain, values.ADDRESS_SPACES), mandatory=True),
        Param("ClientHostNames", values.multi_valued(values.plain, values.STRINGS))] + _SETTABLE
_SET = [Param("Identity", identity, mandatory=True), Param("Name", values.text),
        Param("SenderDomains", values.multi_valued(values.sender_domain, values.ADDRESS_SPACES))] + _SETTABLE
_GET = [Param("Identity", identity), Param("ResultSize", result_size)]
_REMOVE = [Param("Identity", identity, mandatory=True)]

_MULTI_VALUED = {"SenderDomains", "SenderIPAddresses", "AssociatedAcceptedDomains", "ClientHostNames", "EFSkipIPs",
                 "EFSkipMailGateway", "EFUsers", "ScanAndDropRecipients", "TrustedOrganizations"}


def _new_object(tenant: Tenant, name: str) -> dict[str, Any]:
    """A connector with the documented defaults, in the property order of Get-InboundConnector.

    GUESS: the properties after the parameters (AdminDisplayName .. ObjectState) and their
    order are Exchange's usual ADObject tail, not shown in the docs.
    """
    guid, now = str(uuid.uuid4()), utc_now()
    connector = {
        "Enabled": True, "ConnectorType": "Partner",  # GUESS: Partner when ConnectorType is not given
        "ConnectorSource": "Default", "Comment": None, "SenderIPAddresses": [], "SenderDomains": [],
        "TrustedOrganizations": [], "AssociatedAcceptedDomains": [], "ClientHostNames": [],
        # New-InboundConnector.md: "$true ... This value is the default" for RequireTls.
        "RequireTls": True, "RestrictDomainsToIPAddresses": False, "RestrictDomainsToCertificate": False,
        "CloudServicesMailEnabled": False, "TreatMessagesAsInternal": False, "TlsSenderCertificateName": None,
        "EFTestMode": False, "ScanAndDropRecipients": [], "EFSkipLastIP": False, "EFSkipIPs": [],
        "EFSkipMailGateway": [], "EFUsers": [], "AdminDisplayName": "", "ExchangeVersion": "0.1 (8.0.535.0)",
        "Name": name, "DistinguishedName": "", "Identity": name,
        "ObjectCategory": "EURPR04A011.PROD.OUTLOOK.COM/Configuration/Schema/ms-Exch-SMTP-Inbound-Connector",
        "ObjectClass": ["top", "msExchSMTPInboundConnector"],
        "WhenChanged": now, "WhenCreated": now, "WhenChangedUTC": now, "WhenCreatedUTC": now,
        "ExchangeObjectId": guid, "OrganizationalUnitRoot": tenant.registration.tenant_domain,
        "OrganizationId": f"{tenant.organization_dn()} - {tenant.registration.tenant_domain}", "Id": name,
        "Guid": guid, "OriginatingServer": "AM7PR04A011DC01.EURPR04A011.PROD.OUTLOOK.COM", "IsValid": True,
        "ObjectState": "Unchanged",
    }
    _rename(tenant, connector, name)
    return connector


def _rename(tenant: Tenant, connector: dict[str, Any], name: str) -> None:
    # GUESS: EXO connectors print Identity and Id as the bare name.
    connector.update(Name=name, Identity=name, Id=name,
                     DistinguishedName=f"CN={name},CN=Transport Settings,{tenant.organization_dn()}")


def _matches(connector: dict[str, Any], wanted: str) -> bool:
    """InboundConnectorIdParameter: name or GUID, case-insensitive."""
    return wanted.lower() in (connector["Name"].lower(), connector["Guid"].lower())


def _find(tenant: Tenant, wanted: str) -> dict[str, Any]:
    for connector in tenant.inbound_connectors:
        if _matches(connector, wanted):
            return connector
    raise errors.not_found(wanted)


def _apply(tenant: Tenant, connector: dict[str, Any], bound: dict[str, Any]) -> None:
    for name, value in bound.items():
        if name in ("Identity", "WhatIf", "Confirm") or name not in connector:
            continue
        if name == "Name":
            _rename(tenant, connector, value)
        elif name in _MULTI_VALUED:
            connector[name] = values.apply(connector[name], value)
        else:
            connector[name] = value


def _validate(tenant: Tenant, connector: dict[str, Any]) -> None:
    name = connector["Name"] or ""
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise errors.validation(f"The name '{name}' isn't valid. A connector name must be 1 to "
                                f"{MAX_NAME_LENGTH} characters long.")  # GUESS: wording
    for other in tenant.inbound_connectors:
        if other["Guid"] != connector["Guid"] and other["Name"].lower() == name.lower():
            raise errors.already_exists(name)
    if not connector["SenderDomains"]:
        raise errors.validation("SenderDomains can't be empty. Specify at least one sender domain, "
                                "or * for all domains.")  # GUESS: wording
    if connector["TreatMessagesAsInternal"] and connector["CloudServicesMailEnabled"]:
        raise errors.validation("TreatMessagesAsInternal can't be set to $true when CloudServicesMailEnabled "
                                "is $true.")  # GUESS: wording (rule: New-InboundConnector.md)
    if connector["TreatMessagesAsInternal"] and connector["ConnectorType"] != "OnPremises":
        raise errors.validation("TreatMessagesAsInternal can be set to $true only on a connector whose "
                                "ConnectorType is OnPremises.")  # GUESS: wording (rule: New-InboundConnector.md)
    accepted = {domain["DomainName"].lower() for domain in tenant.accepted_domains}
    for domain in connector["AssociatedAcceptedDomains"]:
        if domain.lower() not in accepted:
            raise errors.validation(f"The domain '{domain}' isn't an accepted domain of your "
                                    "organization.")  # GUESS: wording


def new_inbound_connector(tenant: Tenant, parameters: Any) -> CmdletResult:
    bound = bind(_NEW, parameters)
    if tenant.restrict_inbound_connectors:
        raise errors.inbound_connectors_restricted()
    connector = _new_object(tenant, bound["Name"])
    _apply(tenant, connector, bound)
    _validate(tenant, connector)
    if bound.get("WhatIf"):
        return CmdletResult()
    tenant.inbound_connectors.append(connector)
    return CmdletResult(output=[copy.deepcopy(connector)], changed=True)


def set_inbound_connector(tenant: Tenant, parameters: Any) -> CmdletResult:
    bound = bind(_SET, parameters)
    current = _find(tenant, bound["Identity"])
    updated = copy.deepcopy(current)
    _apply(tenant, updated, bound)
    _validate(tenant, updated)
    if updated == current:
        # Exchange's warning for a Set- that changes nothing.
        return CmdletResult(warnings=[f"The command completed successfully but no settings of "
                                      f"'{current['Identity']}' have been modified."])
    if bound.get("WhatIf"):
        return CmdletResult()
    updated["WhenChanged"] = updated["WhenChangedUTC"] = utc_now()
    current.clear()
    current.update(updated)
    return CmdletResult(changed=True)


def get_inbound_connector(tenant: Tenant, parameters: Any) -> CmdletResult:
    bound = bind(_GET, parameters)
    wanted = bound.get("Identity")
    # Under exo-replication-lag reads see the connectors as they were a moment ago.
    readable = tenant.readable_inbound_connectors(variants.value("exo-replication-lag"))
    # Get-InboundConnector.md: a $null Identity returns every connector. GUESS: a named connector
    # that doesn't exist is ManagementObjectNotFoundException, as for every Exchange Get- task; the
    # variant identity-miss-returns-all plays the page's Caution ("a non-existent value for the Identity
    # parameter returns *all* objects").
    connectors = readable
    if wanted:
        connectors = [connector for connector in readable if _matches(connector, wanted)]
        if not connectors and not variants.is_active("identity-miss-returns-all"):
            raise errors.not_found(wanted)
        connectors = connectors or readable
    limit = bound.get("ResultSize", 1000)
    return CmdletResult(output=copy.deepcopy(connectors if limit is None else connectors[:limit]))


def remove_inbound_connector(tenant: Tenant, parameters: Any) -> CmdletResult:
    bound = bind(_REMOVE, parameters)
    connector = _find(tenant, bound["Identity"])
    if bound.get("WhatIf"):
        return CmdletResult()
    tenant.inbound_connectors.remove(connector)
    return CmdletResult(changed=True)


CMDLETS = {
    "new-inboundconnector": new_inbound_connector,
    "set-inboundconnector": set_inbound_connector,
    "get-inboundconnector": get_inbound_connector,
    "remove-inboundconnector": remove_inbound_connector,
}
