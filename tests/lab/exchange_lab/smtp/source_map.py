"""Which device a lab client plays: its loopback source address stands for a device address.

Lab convention, not Exchange behaviour: every listener is on 127.0.0.1, so a client
chooses a source in 127.0.0.0/8 and the lab treats 127.a.b.c as the device 10.a.b.c,
the kind of address the receive connectors' RemoteIPRanges name. The Received header,
the connector selection and deliveries.jsonl all see the device address.
"""
import ipaddress

LAB_SOURCES = ipaddress.IPv4Network("127.0.0.0/8")
DEVICE_SOURCES = ipaddress.IPv4Network("10.0.0.0/8")

# As published in lab.json ("smtp_source_map").
SOURCE_MAP = {str(LAB_SOURCES): str(DEVICE_SOURCES)}


def device_address(peer: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The device address a client connecting from ``peer`` plays (unchanged outside 127.0.0.0/8)."""
    address = ipaddress.ip_address(peer)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in LAB_SOURCES:
        host_bits = int(address) & int(LAB_SOURCES.hostmask)
        return ipaddress.IPv4Address(int(DEVICE_SOURCES.network_address) | host_bits)
    return address
