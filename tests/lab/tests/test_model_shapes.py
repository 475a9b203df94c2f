"""Objects the lab builds or stores have the XML shape of the real capture.

The comparison works on the CLIXML itself: type names (TN/TNRef resolved,
"Deserialized." stripped), <ToString>, primitive kind and value, property names
in order, list items; Refs are resolved. SerializationData (a .NET binary blob
the lab cannot produce) and the client-side remoting notes are left out.
"""
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from psrpcore.types import serialize_clixml

from exchange_lab.exchange import shapes
from exchange_lab.exchange.api import Command
from exchange_lab.exchange.organization import open_organization
from exchange_lab.exchange.receive_connector import SETTINGS
from exchange_lab.exchange.store import DATA_DIR, STORE_FILE, load_clixml
from exchange_lab.stats import Stats

CAPTURE = DATA_DIR / "E19-GetReceiveConnector.xml"
SKIPPED = {"SerializationData", "PSComputerName", "RunspaceId", "PSShowComputerName"}


class Shapes:
    """Canonical, comparable trees of a CLIXML document."""

    def __init__(self, xml_text: str):
        start = xml_text.find("<Objs")
        root = ElementTree.fromstring(xml_text[start:].replace(
            ' xmlns="http://schemas.microsoft.com/powershell/2004/04"', "", 1))
        # Definitions are read in document order, as a deserializer does: a Ref or
        # TNRef means the latest definition of that id seen so far.
        self._types: dict[str, list[str]] = {}
        self._refs: dict[str, dict] = {}
        self.objects = [self.tree(child) for child in root]

    def tree(self, element: ElementTree.Element):
        if element.tag == "Ref":
            return self._refs[element.get("RefId")]
        if element.tag != "Obj":
            return (element.tag, _value(element))
        node = {"types": None, "to_string": None, "value": None, "items": None, "props": [], "ms": []}
        self._refs[element.get("RefId")] = node
        for child in element:
            if child.tag == "TN":
                self._types[child.get("RefId")] = [t.text.removeprefix("Deserialized.") for t in child.findall("T")]
                node["types"] = self._types[child.get("RefId")]
            elif child.tag == "TNRef":
                node["types"] = self._types[child.get("RefId")]
            elif child.tag == "ToString":
                node["to_string"] = child.text or ""
            elif child.tag in ("Props", "MS"):
                node["props" if child.tag == "Props" else "ms"] = [
                    (p.get("N"), self.tree(p)) for p in child if p.get("N") not in SKIPPED]
            elif child.tag == "LST":
                node["items"] = [self.tree(item) for item in child]
            else:
                node["value"] = (child.tag, _value(child))
        return node


def _value(element: ElementTree.Element):
    text = element.text or ""
    if element.tag == "Db":
        return float(text)
    if element.tag in ("I32", "I64", "By"):
        return int(text)
    return text


def xml_of(objects) -> str:
    return serialize_clixml(list(objects), None)


def captured_connectors():
    return load_clixml(CAPTURE)


@pytest.fixture
def organization(tmp_path: Path):
    return open_organization(tmp_path / "state", [], Stats(tmp_path / "stats.json"))


def test_store_round_trip_keeps_every_capture_exactly(tmp_path: Path):
    """Seeds -> store.xml -> reopen: the same trees as the captures (values included)."""
    open_organization(tmp_path / "state", [], Stats(tmp_path / "stats.json"))
    stored = Shapes((tmp_path / "state" / STORE_FILE).read_text(encoding="utf-8")).objects
    captured = []
    for name in ("E19-GetReceiveConnector.xml", "E19-GetExchangeCertificate.xml", "E19-GetAcceptedDomain.xml",
                 "GetExchangeCertificate-MultipleMatches.xml"):
        captured += Shapes((DATA_DIR / name).read_text(encoding="utf-8-sig")).objects
    assert stored == captured
    reopened = Shapes(xml_of(load_clixml(tmp_path / "state" / STORE_FILE))).objects
    assert reopened == captured


def test_get_sends_the_captured_connectors_unchanged(organization):
    result = organization.invoke([Command("Get-ReceiveConnector")], "admin")
    assert Shapes(xml_of(result.output)).objects == Shapes(CAPTURE.read_text(encoding="utf-8-sig")).objects


@pytest.mark.parametrize("index", range(5))
def test_every_setting_rebuilt_from_its_value_equals_the_capture(index):
    """shape(read(captured value)) reproduces the captured XML of each settable property."""
    connector = captured_connectors()[index]
    for setting in SETTINGS:
        captured = shapes.property_value(connector, setting.name)
        rebuilt = setting.shape(setting.read(captured))
        assert Shapes(xml_of([rebuilt])).objects == Shapes(xml_of([captured])).objects, setting.name


def test_new_connector_has_the_capture_shape(organization):
    result = organization.invoke([Command("New-ReceiveConnector", {
        "Name": "Relay", "TransportRole": "FrontendTransport", "Custom": True, "Bindings": ["[::]:25", "0.0.0.0:25"],
        "RemoteIPRanges": ["10.1.2.3", "10.0.0.0/24", "2001:db8::/64"],
        "TlsCertificateName": "<I>CN=WIN-CTD3L0RGEN4<S>CN=WIN-CTD3L0RGEN4", "Fqdn": "mail.contoso.com",
        "TlsDomainCapabilities": "fabrikam.com:AcceptCloudServicesMail"})], "admin")
    assert not result.errors
    built = Shapes(xml_of(result.output)).objects[0]
    reference = Shapes(CAPTURE.read_text(encoding="utf-8-sig")).objects[2]  # Default Frontend
    assert _kinds(built) == _kinds(reference)


def _kinds(node):
    """The tree without values: type names, property names/kinds, first list item."""
    if isinstance(node, tuple):
        return node[0]
    return {
        "types": node["types"], "to_string": node["to_string"] is not None,
        "value": node["value"] and node["value"][0],
        "items": None if node["items"] is None else [_kinds(i) for i in node["items"][:1]],
        "props": [(name, _kinds(value)) for name, value in node["props"]],
        "ms": [(name, _kinds(value)) for name, value in node["ms"]],
    }


def test_enums_serialize_like_the_capture():
    xml = xml_of([shapes.enum_value(shapes.AUTH_MECHANISMS, 31), shapes.enum_value(shapes.PERMISSION_GROUPS, 14)])
    auth, groups = Shapes(xml).objects
    assert auth == {"types": ["Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms", "System.Enum",
                              "System.ValueType", "System.Object"],
                    "to_string": "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
                    "value": ("I32", 31), "items": None, "props": [], "ms": []}
    assert groups["to_string"] == "ExchangeUsers, ExchangeServers, ExchangeLegacyServers"
    assert groups["value"] == ("I32", 14)


def test_unknown_captured_enums_keep_their_text():
    value = shapes.captured_enum(["Some.Enum", "System.Enum", "System.ValueType", "System.Object"], 7, "A, B, C")
    node = Shapes(xml_of([value])).objects[0]
    assert (node["types"][0], node["to_string"], node["value"]) == ("Some.Enum", "A, B, C", ("I32", 7))


def test_known_enum_spec_agrees_with_every_captured_enum():
    """Each enum the capture prints is printed the same way by the lab's spec."""
    for connector in captured_connectors():
        for prop in connector.PSObject.adapted_properties:
            value = prop.get_value(connector)
            spec = shapes.KNOWN_ENUMS.get((getattr(value, "PSObject", None) and value.PSObject.type_names or [""])[0])
            if spec is not None:
                node = Shapes(xml_of([value])).objects[0]
                assert node["to_string"] == spec.format(int(value)), prop.name
