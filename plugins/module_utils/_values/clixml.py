# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading Exchange objects as pypsrp deserialises them from CLIXML (and, with object_to_values, the plain
JSON objects of the Exchange Online REST endpoint).

pypsrp turns an Exchange object into a GenericComplexObject: ``adapted_properties`` (<Props>),
``extended_properties`` (<MS>), ``to_string`` (<ToString>) and ``types`` (<TN>). Two shapes need
care, both visible in the E19 Get-ReceiveConnector capture:

- enums and flags are an object with a ToString ("Tls, BasicAuth") and an <I32>: the ToString
  names are used, never the number;
- a MultiValuedProperty (Bindings, RemoteIPRanges) has a type pypsrp does not know, so pypsrp
  (0.9.1) leaves its <LST> as raw XML text in ``property_sets``. ``property_value`` hands that XML
  back to pypsrp's own Serializer to get the items; nothing here parses CLIXML by hand.

pypsrp is imported lazily, only where XML has to be deserialised.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import Kind, UnexpectedExchangeValue

_DESERIALIZED_PREFIX = "Deserialized."
_LIST_TAGS = ("LST", "IE")


def type_names(obj: Any) -> list[str]:
    """The object's .NET type names, most specific first, without PowerShell's
    ``Deserialized.`` prefix (present when a capture went through a remote session)."""
    names = getattr(obj, "types", None) or []
    return [name[len(_DESERIALIZED_PREFIX):] if name.startswith(_DESERIALIZED_PREFIX) else name
            for name in names]


def has_type(obj: Any, name: str) -> bool:
    return name in type_names(obj)


def to_string(obj: Any) -> str | None:
    """The object's <ToString> (None if it has none); a primitive's own text."""
    if hasattr(obj, "to_string"):
        return obj.to_string
    if obj is None:
        return None
    return str(obj)


_MISSING = object()


def get_property(obj: Any, name: str, default: Any = None) -> Any:
    """The raw value of property ``name``: adapted properties first, then extended ones.

    PowerShell property names are case-insensitive, so a case-insensitive match is the fallback.
    Returns ``default`` if the object has no such property (an older Exchange may lack one);
    a property that is present but Nil returns None.
    """
    value = _lookup(obj, name)
    return default if value is _MISSING else value


def has_property(obj: Any, name: str) -> bool:
    return _lookup(obj, name) is not _MISSING


def _lookup(obj, name):
    tables = [getattr(obj, "adapted_properties", None) or {}, getattr(obj, "extended_properties", None) or {}]
    for table in tables:
        if name in table:
            return table[name]
    wanted = name.lower()
    for table in tables:
        for key, value in table.items():
            if key.lower() == wanted:
                return value
    return _MISSING


def _raw_list_xml(obj):
    """The raw <LST>/<IE> XML pypsrp left in ``property_sets`` of a collection it does not know."""
    for entry in getattr(obj, "property_sets", None) or []:
        if isinstance(entry, str) and entry.lstrip().startswith(tuple("<" + tag for tag in _LIST_TAGS)):
            return entry
    return None


class _UnknownTypeNames(dict):
    """TN references to type lists defined outside the fragment being read: known as System.Object."""

    def __missing__(self, key):
        return ["System.Object"]


class _UnknownObjects(dict):
    """<Ref> references to objects defined outside the fragment: unknown (None)."""

    def __missing__(self, key):
        return None


def _deserialize_fragment(elements):
    """Deserialise sibling CLIXML elements with one pypsrp Serializer.

    The elements may refer (TNRef/Ref) to type lists and objects serialised before them, outside
    the fragment; pypsrp would fail on those, so unknown references resolve to System.Object
    (types) and None (objects). Within the fragment references resolve normally.
    """
    from pypsrp.serializer import Serializer

    serializer = Serializer()
    serializer.tn = _UnknownTypeNames()
    serializer.obj = _UnknownObjects()
    return [serializer.deserialize(element, clear=False) for element in elements]


def list_items(obj: Any) -> list | None:
    """The items of a collection value: a Python list as is, pypsrp's raw <LST> XML
    deserialised. Returns None if ``obj`` is not a collection."""
    if isinstance(obj, (list, tuple)):
        return list(obj)
    raw = _raw_list_xml(obj)
    if raw is None:
        return None
    return _deserialize_fragment(list(ET.fromstring(raw)))


def plain_value(raw: Any) -> Any:
    """A deserialised value as plain Python: None, a primitive, the ToString text of an object
    (enums give their names), or a list of plain values for a collection."""
    if raw is None or isinstance(raw, (bool, int, float, str, bytes)):
        return raw
    items = list_items(raw)
    if items is not None:
        return [plain_value(item) for item in items]
    if hasattr(raw, "to_string"):
        return raw.to_string
    return str(raw)


def property_value(obj: Any, name: str, default: Any = None) -> Any:
    """``get_property`` made plain (see ``plain_value``)."""
    value = _lookup(obj, name)
    return default if value is _MISSING else plain_value(value)


def object_to_values(obj: Any, table: dict[str, tuple[str, Kind]]) -> dict[str, Any]:
    """Canonical values of ``obj`` for ``table``: {key: (Exchange property name, kind)}.

    ``obj`` is a deserialised CLIXML object, or a JSON object (a dict) of the Exchange Online REST endpoint,
    whose values are plain already and whose property names are exact.

    A property the object does not have at all is left out of the result, so a caller can tell
    "this Exchange has no such setting" from "the setting is empty". A value the kind cannot read
    raises UnexpectedExchangeValue naming the property.
    """
    values = {}
    for key, (property_name, kind) in table.items():
        value = _plain_property(obj, property_name)
        if value is _MISSING:
            continue
        try:
            values[key] = kind.from_exchange(value)
        except UnexpectedExchangeValue as err:
            raise UnexpectedExchangeValue("%s: %s" % (property_name, err)) from None
    return values


def _plain_property(obj, name):
    if isinstance(obj, dict):
        return obj.get(name, _MISSING)
    value = _lookup(obj, name)
    return value if value is _MISSING else plain_value(value)


def _strip_namespace(element):
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = node.tag.split("}", 1)[1]


def objects_from_export_clixml(text: str | bytes) -> list:
    """The objects of an Export-Clixml document (``<Objs>``), deserialised by pypsrp exactly as a
    PSRP pipeline output is: pypsrp's Serializer, one top-level <Obj> (or primitive) at a time.

    Export-Clixml shares TN/Ref ids across the whole document, so one Serializer reads all
    elements in order (in PSRP each message stands alone). The document's XML namespace is
    dropped because PSRP messages carry none.
    """
    from pypsrp.serializer import Serializer

    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    root = ET.fromstring(text.lstrip("\ufeff"))
    _strip_namespace(root)
    if root.tag != "Objs":
        raise ValueError("not an Export-Clixml document (root element %r)" % root.tag)
    serializer = Serializer()
    return [serializer.deserialize(element, clear=False) for element in root]
