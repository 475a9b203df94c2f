"""The connector selection rule, listener planning and the lab's source map: pure functions."""
import ipaddress

import pytest

from exchange_lab.smtp import device_address, plan_listeners, select_connector
from smtp_fakes import ALL_IPV6, SERVER, connector

DEVICE = ipaddress.ip_address("10.1.2.3")
LOCAL = ipaddress.ip_address("10.0.0.5")


def chosen(connectors, remote=DEVICE, local=None, port=25, server=SERVER):
    found = select_connector(connectors, server, local, port, ipaddress.ip_address(remote))
    return found.name if found else None


DEFAULT = connector("Default Frontend MAIL1")
SUBNET = connector("Subnet", ranges=("10.1.2.0/24",))
WIDER = connector("Wider", ranges=("10.1.0.0-10.1.255.255",))
SINGLE = connector("Device", ranges=("10.1.2.3",))


@pytest.mark.parametrize("remote, expected", [
    ("10.1.2.3", "Device"),                  # a single IP beats every range
    ("10.1.2.4", "Subnet"),                  # a /24 beats a /16
    ("10.1.9.9", "Wider"),                   # a /16 beats everything
    ("192.168.1.1", "Default Frontend MAIL1"),
])
def test_most_specific_remote_range_wins(remote, expected):
    assert chosen([DEFAULT, WIDER, SUBNET, SINGLE], remote) == expected
    assert chosen([SINGLE, SUBNET, WIDER, DEFAULT], remote) == expected  # order does not matter


def test_specific_local_address_beats_all_addresses():
    bound = connector("Bound", bindings=("10.0.0.5:25",))
    assert chosen([DEFAULT, bound], local=LOCAL) == "Bound"
    # A client reaching another address of the server only meets the 0.0.0.0 binding.
    assert chosen([DEFAULT, bound], local=None) == "Default Frontend MAIL1"
    assert chosen([bound], local=ipaddress.ip_address("10.0.0.6")) is None


def test_remote_range_decides_before_local_binding():
    bound = connector("Bound", bindings=("10.0.0.5:25",))
    assert chosen([bound, SINGLE], local=LOCAL) == "Device"


def test_ipv6_wildcard_binding_covers_the_port():
    only_v6 = connector("V6 bound", bindings=("[::]:25",))
    assert chosen([only_v6]) == "V6 bound"


@pytest.mark.parametrize("other", [
    connector("Disabled", ranges=("10.1.2.3",), enabled=False),
    connector("Other server", ranges=("10.1.2.3",), server="MAIL2"),
    connector("Other port", ranges=("10.1.2.3",), bindings=("0.0.0.0:587",)),
    connector("IPv6 only", ranges=(ALL_IPV6,)),
])
def test_connectors_that_cannot_take_the_connection_are_ignored(other):
    assert chosen([DEFAULT, other]) == "Default Frontend MAIL1"


def test_no_matching_connector():
    assert chosen([SINGLE, SUBNET], remote="10.200.0.1") is None
    assert chosen([], remote="10.200.0.1") is None


def test_server_name_is_case_insensitive():
    assert chosen([SINGLE], server=SERVER.lower()) == "Device"


def test_listener_plan_shares_ipv4_and_ipv6_wildcards():
    plans = plan_listeners([
        DEFAULT,
        connector("Relay", bindings=("0.0.0.0:25",), ranges=("10.1.2.3",)),
        connector("Client Frontend MAIL1", bindings=("[::]:587",)),
        connector("Bound", bindings=("10.0.0.5:25",)),
        connector("Off", bindings=("0.0.0.0:2600",), enabled=False),
        connector("Default Frontend MAIL2", server="MAIL2"),
    ])
    summary = [(p.key.server, p.binding, [(c.name, b) for c, b in p.connectors]) for p in plans]
    assert summary == [
        ("MAIL1", "0.0.0.0:25", [("Default Frontend MAIL1", "0.0.0.0:25"), ("Relay", "0.0.0.0:25")]),
        ("MAIL1", "10.0.0.5:25", [("Bound", "10.0.0.5:25")]),
        ("MAIL1", "[::]:587", [("Client Frontend MAIL1", "[::]:587")]),
        ("MAIL2", "0.0.0.0:25", [("Default Frontend MAIL2", "0.0.0.0:25")]),
    ]


@pytest.mark.parametrize("peer, device", [
    ("127.1.2.3", "10.1.2.3"),
    ("127.0.0.1", "10.0.0.1"),
    ("::ffff:127.1.2.3", "10.1.2.3"),
    ("192.168.7.7", "192.168.7.7"),
])
def test_source_map(peer, device):
    assert device_address(peer) == ipaddress.ip_address(device)

