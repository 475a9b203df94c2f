"""Reading real Exchange objects (the E19 Get-ReceiveConnector capture) as the plain data modules read
(pypsrp's objects made plain by psobject.plain_objects)."""
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypsrp.serializer import Serializer

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml, psobject
from ansible_collections.mailflow.exchange.plugins.module_utils._values.addresses import BINDINGS, IP_RANGES
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import UnexpectedExchangeValue
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import BOOL
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.table import (
    READ_TABLE,
    ROWS,
)

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURE = DATA / "E19-GetReceiveConnector.xml"
SERVER = "WIN-CTD3L0RGEN4"
ALL_RANGES = ["0.0.0.0/0", "::/0"]
EXCHANGE_AUTH = ["Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer"]


@pytest.fixture(scope="module")
def pypsrp_connectors():
    return clixml.objects_from_export_clixml(CAPTURE.read_bytes())


@pytest.fixture(scope="module")
def connectors(pypsrp_connectors):
    return psobject.plain_objects(pypsrp_connectors)


@pytest.fixture(scope="module")
def values(connectors):
    return [psobject.object_to_values(obj, READ_TABLE) for obj in connectors]


# name, role, bindings, permission groups, auth, tls name, size, message rate limit
EXPECTED = [
    ("Default", "HubTransport", ["0.0.0.0:2525", "[::]:2525"],
     ["ExchangeUsers", "ExchangeServers", "ExchangeLegacyServers"], EXCHANGE_AUTH, None, "EnabledWithoutValue",
     "Unlimited"),
    ("Client Proxy", "HubTransport", ["0.0.0.0:465", "[::]:465"],
     ["ExchangeUsers", "ExchangeServers"], EXCHANGE_AUTH, None, "Enabled", 5),
    ("Default Frontend", "FrontendTransport", ["0.0.0.0:25", "[::]:25"],
     ["AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"], EXCHANGE_AUTH,
     "<I>CN=WIN-CTD3L0RGEN4<S>CN=WIN-CTD3L0RGEN4", "Enabled", "Unlimited"),
    ("Outbound Proxy Frontend", "FrontendTransport", ["0.0.0.0:717", "[::]:717"],
     ["ExchangeServers"], EXCHANGE_AUTH, None, "Enabled", "Unlimited"),
    ("Client Frontend", "FrontendTransport", ["0.0.0.0:587", "[::]:587"],
     ["ExchangeUsers"], ["Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS"], None, "Enabled", 5),
]


def test_capture_gives_five_plain_objects(connectors):
    assert len(connectors) == 5
    for obj in connectors:
        assert set(obj) == {"types", "text", "properties"}
        assert psobject.type_names(obj)[0] == "Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector"
        assert psobject.has_type(obj, "Microsoft.Exchange.Data.Directory.ADObject")


@pytest.mark.parametrize("index", range(5))
def test_connector_canonical_values(values, index):
    name, role, bindings, groups, auth, tls_name, size_enabled, rate_limit = EXPECTED[index]
    got = values[index]
    full_name = "%s %s" % (name, SERVER)
    assert got["name"] == full_name
    assert got["identity"] == "%s\\%s" % (SERVER, full_name)
    assert got["server"] == SERVER
    assert got["transport_role"] == role
    assert got["bindings"] == bindings
    assert got["remote_ip_ranges"] == ALL_RANGES
    assert got["permission_groups"] == groups
    assert got["auth_mechanism"] == auth
    assert got["tls_certificate_name"] == tls_name
    assert got["size_enabled"] == size_enabled
    assert got["message_rate_limit"] == rate_limit
    assert got["fqdn"] == "win-ctd3l0rgen4.exlab.dom"
    assert got["max_message_size"] == 37748736
    assert got["max_header_size"] == 262144
    assert got["connection_timeout"] == "00:10:00"
    assert got["connection_inactivity_timeout"] == "00:05:00"
    assert got["banner"] is None and got["comment"] is None and got["default_domain"] is None
    assert got["enabled"] is True


def test_per_connector_differences(values):
    assert [v["max_recipients_per_message"] for v in values] == [5000, 200, 200, 200, 200]
    assert [v["max_inbound_connection_per_source"] for v in values] == ["Unlimited", 20, 20, 20, 20]
    assert [v["tarpit_interval"] for v in values] == ["00:00:05"] * 3 + ["00:00:00", "00:00:05"]
    assert [v["protocol_logging_level"] for v in values] == ["None", "None", "Verbose", "Verbose", "None"]
    assert [v["domain_secure_enabled"] for v in values] == [False, False, True, True, False]
    assert [v["enable_auth_gssapi"] for v in values] == [False, True, False, False, True]
    assert [v["message_rate_source"] for v in values] == ["IPAddress", "User", "IPAddress", "IPAddress", "User"]


def test_every_table_property_is_in_the_capture(connectors, values):
    for row in ROWS:
        assert psobject.has_property(connectors[0], row.property), row.property
    assert set(values[0]) == set(READ_TABLE)


def test_option_names_are_snake_case_of_the_property():
    # Word breaks: lower/digit -> upper ("MaxHop"), and the end of an acronym ("IPRanges").
    word_break = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
    for row in ROWS:
        assert row.option == word_break.sub("_", row.property).lower(), (row.option, row.property)


def test_user_input_equals_exchange_output(values):
    default_frontend = values[2]
    assert IP_RANGES.from_input("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255",
                                "remote_ip_ranges") == default_frontend["remote_ip_ranges"]
    assert BINDINGS.from_input(["[::]:25", "0.0.0.0:25"], "bindings") == default_frontend["bindings"]


# --- the low-level readers ----------------------------------------------------------------------

def test_multi_valued_property_is_raw_lst_xml_in_pypsrp_and_items_in_plain_data(pypsrp_connectors, connectors):
    # The reason clixml.list_fragment_items exists: pypsrp 0.9.1 does not know MultiValuedProperty`1.
    raw = pypsrp_connectors[0].adapted_properties["Bindings"]
    assert raw.property_sets[0].lstrip().startswith("<LST>")
    bindings = psobject.get_property(connectors[0], "Bindings")
    assert psobject.has_type(bindings, "Microsoft.Exchange.Data.MultiValuedPropertyBase")
    items = psobject.list_items(bindings)
    assert [psobject.to_string(item) for item in items] == ["0.0.0.0:2525", "[::]:2525"]
    assert psobject.get_property(items[0], "Port") == 2525


def test_list_items_of_later_object_with_references_outside_the_list(connectors):
    # The second connector's IPBinding items refer (TNRef) to types defined by the first one.
    items = psobject.list_items(psobject.get_property(connectors[1], "Bindings"))
    assert [psobject.to_string(item) for item in items] == ["[::]:465", "0.0.0.0:465"]


def test_property_value_is_plain(connectors):
    obj = connectors[0]
    assert psobject.property_value(obj, "AuthMechanism") == "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"
    assert psobject.property_value(obj, "ObjectClass") == ["top", "msExchSmtpReceiveConnector"]
    assert psobject.property_value(obj, "TlsDomainCapabilities") == []
    assert psobject.property_value(connectors[2], "TlsDomainCapabilities") == ["fabrikam.com:AcceptCloudServicesMail"]
    assert psobject.property_value(obj, "DefaultDomain") is None
    assert psobject.property_value(obj, "MaxHopCount") == 60
    assert psobject.property_value(obj, "NoSuchProperty", default="absent") == "absent"


def test_get_property_is_case_insensitive_and_reads_extended(connectors):
    obj = connectors[0]
    assert psobject.get_property(obj, "maxhopcount") == 60
    assert psobject.get_property(obj, "PSComputerName") == "win-ctd3l0rgen4.exlab.dom"
    assert psobject.to_string(obj) == "%s\\Default %s" % (SERVER, SERVER)


def test_enum_uses_names_not_number(pypsrp_connectors, connectors):
    assert pypsrp_connectors[4].adapted_properties["AuthMechanism"].property_sets == [15]
    auth = psobject.get_property(connectors[4], "AuthMechanism")
    assert psobject.plain_value(auth) == "Tls, Integrated, BasicAuth, BasicAuthRequireTLS"


def test_absent_property_is_left_out_and_nil_is_none(connectors):
    table = {"x": ("NotOnThisVersion", BOOL), "tls": ("TlsCertificateName", READ_TABLE["tls_certificate_name"][1])}
    values = psobject.object_to_values(connectors[0], table)
    assert values == {"tls": None}


def test_unreadable_value_names_the_property(connectors):
    with pytest.raises(UnexpectedExchangeValue) as info:
        psobject.object_to_values(connectors[0], {"n": ("Name", BOOL)})
    assert str(info.value).startswith("Name: Exchange returned 'Default WIN-CTD3L0RGEN4'")


def test_a_single_pipeline_message_reads_the_same(connectors):
    """pypsrp deserialises each PIPELINE_OUTPUT message with Serializer().deserialize(xml);
    the first <Obj> of the capture is self-contained, so feed it exactly that way."""
    root = ET.fromstring(CAPTURE.read_text(encoding="utf-8-sig"))
    first = root[0]
    for node in first.iter():
        node.tag = node.tag.split("}", 1)[-1]
    obj = psobject.plain(Serializer().deserialize(ET.tostring(first, encoding="unicode")))
    assert psobject.object_to_values(obj, READ_TABLE) == psobject.object_to_values(connectors[0], READ_TABLE)


def test_export_clixml_rejects_other_documents():
    with pytest.raises(ValueError):
        clixml.objects_from_export_clixml("<Obj RefId='0'/>")


def test_python_lists_pass_through():
    assert psobject.plain_value([1, "a", None]) == [1, "a", None]
    assert psobject.list_items(("x",)) == ["x"]
    assert psobject.list_items("text") is None


def test_plain_values_of_other_shapes():
    """What pypsrp makes of other CLIXML: GUIDs and byte arrays, hashtables, queues, and a <Ref> back to
    an object being read (plain data has no cycles: its text stands in)."""
    import uuid
    from queue import Queue
    from pypsrp.complex_objects import GenericComplexObject

    outer = GenericComplexObject()
    outer.types = ["Deserialized.Contoso.Outer", "Deserialized.System.Object"]
    outer.to_string = "outer"
    queue = Queue()
    queue.put(1)
    outer.adapted_properties = {"Guid": uuid.UUID(int=1), "Raw": bytearray(b"\x00\x01"), "Self": outer,
                                "Table": {"a": 1}, "Queue": queue, "Name": "adapted"}
    outer.extended_properties = {"Name": "extended", "PSComputerName": "mail1"}
    got = psobject.plain(outer)
    assert got["types"] == ["Contoso.Outer", "System.Object"]
    assert got["properties"] == {"Guid": "00000000-0000-0000-0000-000000000001", "Raw": b"\x00\x01", "Self": "outer",
                                 "Table": {"types": ["System.Collections.Hashtable"], "text": None,
                                           "properties": {"a": 1}},
                                 "Queue": [1], "Name": "adapted", "PSComputerName": "mail1"}
