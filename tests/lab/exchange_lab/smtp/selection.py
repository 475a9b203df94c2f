"""Which receive connector takes a connection, and which listeners the connectors need.

Pure functions over connector views (objects with ``server``, ``name``, ``enabled``,
``bindings`` ((ip, port), ...) and ``remote_ranges`` ((low, high), ...)), so the same
rule answers "which connector takes this device" without a socket.

The rule (EXCHANGE.md section 3; Microsoft's "Receive connectors" article, section
"Receive connector remote addresses", and Set-ReceiveConnector.md, -RemoteIPRanges:
"When remote IP address ranges overlap, the Receive connector with the most specific
match to the IP address of the connecting server is used"): among the server's enabled
connectors that bind the port on the address the client reached (or on all addresses)
and whose RemoteIPRanges contain the client, the smallest containing range wins; a
connector bound to that specific local address beats one bound to 0.0.0.0 / [::].
"""
import ipaddress
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _is_wildcard(address: Optional[IPAddress]) -> bool:
    return address is None or address.is_unspecified


def format_binding(address: IPAddress, port: int) -> str:
    """A binding the way Exchange prints it: ``0.0.0.0:25``, ``[::]:25``."""
    if isinstance(address, ipaddress.IPv6Address):
        return f"[{address}]:{port}"
    return f"{address}:{port}"


def binding_rank(connector, local: Optional[IPAddress], port: int) -> Optional[int]:
    """0: bound to ``local`` itself, 1: bound to all addresses on ``port``, None: not bound there.

    ``local`` None (or 0.0.0.0 / ::) means the client reached an address that no
    connector names, so only the all-addresses bindings apply.
    """
    ranks = [0 if not _is_wildcard(local) and ip == local else 1 if ip.is_unspecified else None
             for ip, bound_port in connector.bindings if bound_port == port]
    ranks = [rank for rank in ranks if rank is not None]
    return min(ranks) if ranks else None


def smallest_range(connector, remote: IPAddress) -> Optional[int]:
    """Number of addresses in the smallest RemoteIPRanges entry containing ``remote`` (None: none does)."""
    sizes = [int(high) - int(low) + 1 for low, high in connector.remote_ranges
             if low.version == remote.version and low <= remote <= high]
    return min(sizes) if sizes else None


def select_connector(connectors: Iterable, server: str, local: Optional[IPAddress], port: int,
                     remote: IPAddress):
    """The connector of ``server`` that takes a connection from ``remote`` to ``local``:``port``.

    None when no enabled connector matches (the connection is refused).
    """
    candidates = []
    for connector in connectors:
        if not connector.enabled or connector.server.lower() != server.lower():
            continue
        rank = binding_rank(connector, local, port)
        size = smallest_range(connector, remote)
        if rank is None or size is None:
            continue
        # GUESS: the remote range decides first and the local binding breaks ties; Microsoft
        # documents only the range rule. The name only makes a (misconfigured) tie deterministic.
        candidates.append(((size, rank, connector.name.lower()), connector))
    if not candidates:
        return None
    return min(candidates, key=lambda item: item[0])[1]


@dataclass(frozen=True)
class ListenerKey:
    """One listening socket: a server's binding; ``address`` None = all addresses (0.0.0.0 and [::])."""
    server: str
    address: Optional[IPAddress]
    port: int


@dataclass(frozen=True)
class ListenerPlan:
    key: ListenerKey
    binding: str                         # as configured, e.g. "0.0.0.0:25"
    connectors: tuple                    # ((connector, its binding as configured), ...)


def plan_listeners(connectors: Iterable) -> list[ListenerPlan]:
    """One listener per distinct (server, binding) of the enabled connectors.

    0.0.0.0:P and [::]:P of one server share one listener (shown as the IPv4 binding
    when there is one): a client reaches either the same way.
    """
    members: dict[ListenerKey, dict[str, tuple]] = {}
    for connector in connectors:
        if not connector.enabled:
            continue
        for ip, port in _preferred_bindings(connector.bindings):
            key = ListenerKey(connector.server, None if ip.is_unspecified else ip, port)
            members.setdefault(key, {})[connector.identity] = (connector, format_binding(ip, port))
    plans = []
    for key, by_identity in members.items():
        entries = tuple(sorted(by_identity.values(), key=lambda entry: entry[0].name.lower()))
        plans.append(ListenerPlan(key, _listener_binding(key, [binding for _, binding in entries]), entries))
    return sorted(plans, key=lambda plan: (plan.key.server.lower(), plan.key.port, plan.binding))


def _preferred_bindings(bindings: Sequence) -> list[tuple]:
    """The connector's bindings with [::]:P dropped where it also has 0.0.0.0:P."""
    ipv4_wildcard_ports = {port for ip, port in bindings if ip.is_unspecified and ip.version == 4}
    return [(ip, port) for ip, port in bindings
            if not (ip.is_unspecified and ip.version == 6 and port in ipv4_wildcard_ports)]


def _listener_binding(key: ListenerKey, bindings: list[str]) -> str:
    if key.address is not None:
        return format_binding(key.address, key.port)
    ipv4 = format_binding(ipaddress.IPv4Address(0), key.port)
    return ipv4 if ipv4 in bindings else format_binding(ipaddress.IPv6Address(0), key.port)
