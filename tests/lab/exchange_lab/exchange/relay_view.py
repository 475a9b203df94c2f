"""Read-only views of the organisation for the lab's SMTP listeners (the relay contract of issue 4).

Every function takes the organisation's lock (``Organization.view``), so the
listeners see a consistent state while cmdlets run on other threads.
``generation`` moves whenever a write changed the store: that is the
listeners' cue to rebuild.
"""
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from psrpcore.types import PSObject

from exchange_lab.exchange import (
    accepted_domain, acl, connector_acl, lab_certificates, principals, receive_connector, shapes,
)
from exchange_lab.exchange.context import Context
from exchange_lab.exchange.values import EnumSpec, format_ipvx, ipvx_is_v4


@dataclass(frozen=True)
class ConnectorView:
    server: str
    name: str
    identity: str
    transport_role: str
    enabled: bool
    bindings: tuple
    remote_ranges: tuple
    permission_groups: frozenset
    auth_mechanism: frozenset
    fqdn: str
    tls_certificate: Optional[tuple]  # (issuer DN or None, subject DN)
    max_message_size: Optional[int]
    require_tls: bool
    banner: Optional[str]


def connectors(org) -> list[ConnectorView]:
    return org.view(lambda ctx: [_connector_view(c) for c in ctx.store.of_type(receive_connector.CONNECTOR)])


def session_rights(org, connector_identity: str, authenticated_user: Optional[str]) -> frozenset:
    """Lower-case extended rights an SMTP session holds on the connector (empty for an unknown connector)."""
    def read(ctx: Context) -> frozenset:
        matches = receive_connector.find(ctx, connector_identity)
        if len(matches) != 1:
            return frozenset()
        # Everyone applies to both kinds of session; a signed-in user also is an Authenticated User.
        sids = {principals.EVERYONE}
        if authenticated_user is None:
            sids.add(principals.ANONYMOUS)
        else:
            sids.add(principals.AUTHENTICATED_USERS)
            user_sid = connector_acl.directory_of(ctx).resolve(authenticated_user)
            if user_sid is not None:
                sids.add(user_sid)
        return acl.effective_rights(connector_acl.full_acl(ctx, matches[0]), sids)
    return org.view(read)


def accepted_domains(org) -> list[tuple[str, str]]:
    return org.view(lambda ctx: [(accepted_domain.domain_name(d).lower(), accepted_domain.domain_type(d))
                                 for d in ctx.accepted_domains()])


def tls_material(org, server: str, issuer: Optional[str], subject: str) -> Optional[tuple[Path, Path]]:
    return org.view(lambda ctx: lab_certificates.tls_files(ctx, server, issuer, subject))


def trust_bundle(org) -> Path:
    """One PEM file with every CA and self-signed certificate a client needs to trust the lab's SMTP TLS.

    It first mints what the connectors' TlsCertificateName values need, so the
    bundle is complete for the current configuration (the path never changes).
    """
    def build(ctx: Context) -> Path:
        for connector in ctx.store.of_type(receive_connector.CONNECTOR):
            name = receive_connector.read_state(connector)["TlsCertificateName"]
            if name is not None:
                lab_certificates.tls_files(ctx, _server_name(connector), name.issuer, name.subject)
        return lab_certificates.pki(ctx).write_trust_bundle()
    return org.view(build)


def generation(org) -> int:
    return org.view(lambda ctx: ctx.store.generation)


# --------------------------------------------------------------------------
def _connector_view(connector: PSObject) -> ConnectorView:
    state = receive_connector.read_state(connector)
    certificate = state["TlsCertificateName"]
    return ConnectorView(
        server=_server_name(connector),
        name=state["Name"],
        identity=shapes.plain_text(shapes.property_value(connector, "Identity")),
        transport_role=shapes.TRANSPORT_ROLE.format(state["TransportRole"]),
        enabled=state["Enabled"],
        bindings=tuple((ipaddress.ip_address(str(b.address).split("%")[0]), b.port) for b in state["Bindings"]),
        remote_ranges=tuple((_address(r.lower), _address(r.upper)) for r in state["RemoteIPRanges"]),
        permission_groups=_flags(shapes.PERMISSION_GROUPS, state["PermissionGroups"]),
        auth_mechanism=_flags(shapes.AUTH_MECHANISMS, state["AuthMechanism"]),
        fqdn=state["Fqdn"] or "",
        tls_certificate=None if certificate is None else (certificate.issuer, certificate.subject),
        max_message_size=state["MaxMessageSize"],
        require_tls=state["RequireTLS"],
        banner=state["Banner"] or None,
    )


def _server_name(connector: PSObject) -> str:
    return str(shapes.property_value(shapes.property_value(connector, "Server"), "Name"))


def _flags(spec: EnumSpec, value: int) -> frozenset:
    """The member names of a [Flags] value ("None" is no member)."""
    return frozenset(name for name, bit in spec.members if bit and value & bit == bit)


def _address(value: int) -> ipaddress._BaseAddress:
    """An IPvx bound (128 bits, IPv4 mapped) as the address it stands for."""
    return ipaddress.ip_address(format_ipvx(value)) if ipvx_is_v4(value) else ipaddress.IPv6Address(value)

