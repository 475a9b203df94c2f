# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange objects as plain Python data, and how modules read them.

pypsrp deserialises a cmdlet's output into its own objects. ``plain_objects`` turns them into plain
data once, right where they arrive: in the module on the direct path (_onprem/psrp.py) and in the
session process on the session path (the data then crosses the socket as JSON). Modules read only
this one rendering and need neither pypsrp nor an XML parser to do it.

A plain object is a dict::

    {"types": [".NET type names, most specific first, without PowerShell's Deserialized. prefix"],
     "text": "its <ToString>, or None",
     "properties": {"Name": value, ...},       # adapted properties, then extended ones
     "items": [value, ...]}                    # only for a collection (a MultiValuedProperty)

and a value is None, a bool, an int, a float, a str, bytes (a byte array: certificates' RawData), a
list, or a plain object. Enums and flags keep their ToString names ("Tls, BasicAuth"), a TimeSpan,
ByteQuantifiedSize, IP range, SmtpX509Identifier or ADObjectId keeps its ToString text and its
properties, a MultiValuedProperty its items.
"""
from __future__ import annotations

from typing import Any

from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import Kind, values_from_properties

TYPES = "types"
TEXT = "text"
PROPERTIES = "properties"
ITEMS = "items"

_DESERIALIZED_PREFIX = "Deserialized."
_PRIMITIVES = (bool, int, float, str, bytes)
_MISSING = object()


# --- pypsrp's objects as plain data ----------------------------------------------------------


def plain_objects(objects: list) -> list:
    """pypsrp's output objects (a pipeline's output or an Export-Clixml document's) as plain data."""
    return [plain(obj) for obj in objects]


def plain(value: Any, _path: frozenset = frozenset()) -> Any:
    """One deserialised value as plain data (see the module docstring)."""
    if value is None or isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if id(value) in _path:
        # A <Ref> back to an object being converted: plain data has no cycles, so only its text stays.
        return _text(value)
    path = _path | {id(value)}
    if isinstance(value, (list, tuple)):
        return [plain(item, path) for item in value]
    if hasattr(value, "queue"):  # pypsrp's <QUE> (queue.Queue)
        return [plain(item, path) for item in list(value.queue)]
    if isinstance(value, dict):  # a hashtable (<DCT>)
        return {TYPES: ["System.Collections.Hashtable"], TEXT: None,
                PROPERTIES: {str(key): plain(item, path) for key, item in value.items()}}
    if hasattr(value, "adapted_properties"):  # pypsrp's GenericComplexObject
        return _plain_complex(value, path)
    return str(value)  # a GUID (uuid.UUID) and any other primitive pypsrp makes: its text


def _plain_complex(obj, path):
    # Adapted properties first: they win over an extended one of the same name.
    properties = {name: plain(item, path) for name, item in (obj.adapted_properties or {}).items()}
    for name, item in (obj.extended_properties or {}).items():
        if name not in properties:
            properties[name] = plain(item, path)
    result = {TYPES: [_undeserialized(name) for name in obj.types or ()], TEXT: _text(obj), PROPERTIES: properties}
    items = _collection_items(obj)
    if items is not None:
        result[ITEMS] = [plain(item, path) for item in items]
    return result


def _text(obj):
    text = getattr(obj, "to_string", None)
    return None if text is None else str(text)


def _undeserialized(name):
    return name[len(_DESERIALIZED_PREFIX):] if name.startswith(_DESERIALIZED_PREFIX) else name


def _collection_items(obj):
    """The items of a collection pypsrp does not know (a MultiValuedProperty): pypsrp (0.9.1) leaves its <LST>
    as raw XML text in ``property_sets``; clixml.py hands it back to pypsrp's own Serializer."""
    for entry in obj.property_sets or ():
        if isinstance(entry, list):
            return entry
        if isinstance(entry, str) and entry.lstrip().startswith(("<LST", "<IE")):
            from ansible_collections.mailflow.exchange.plugins.module_utils._values.clixml import list_fragment_items

            return list_fragment_items(entry)
    return None


# --- reading plain objects -------------------------------------------------------------------


def is_object(value: Any) -> bool:
    return isinstance(value, dict)


def type_names(obj: Any) -> list[str]:
    """The object's .NET type names, most specific first (none for a primitive)."""
    return list(obj.get(TYPES) or ()) if is_object(obj) else []


def has_type(obj: Any, name: str) -> bool:
    return name in type_names(obj)


def to_string(obj: Any) -> str | None:
    """The object's <ToString> (None if it has none); a primitive's own text."""
    if is_object(obj):
        return obj.get(TEXT)
    if obj is None:
        return None
    return str(obj)


def get_property(obj: Any, name: str, default: Any = None) -> Any:
    """The value of property ``name`` (case-sensitive first, then case-insensitive: PowerShell's names are).

    Returns ``default`` if the object has no such property (an older Exchange may lack one); a property
    that is present but Nil returns None.
    """
    value = _lookup(obj, name)
    return default if value is _MISSING else value


def has_property(obj: Any, name: str) -> bool:
    return _lookup(obj, name) is not _MISSING


def _lookup(obj, name):
    properties = obj.get(PROPERTIES) if is_object(obj) else None
    if not properties:
        return _MISSING
    if name in properties:
        return properties[name]
    wanted = name.lower()
    for key, value in properties.items():
        if key.lower() == wanted:
            return value
    return _MISSING


def list_items(value: Any) -> list | None:
    """The items of a collection value (a list, or an object with items); None if it is not one."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if is_object(value) and ITEMS in value:
        return list(value[ITEMS])
    return None


def plain_value(value: Any) -> Any:
    """A value as the kinds read it: None, a primitive, the ToString text of an object (enums give their
    names), or a list of those for a collection."""
    items = list_items(value)
    if items is not None:
        return [plain_value(item) for item in items]
    if is_object(value):
        return value.get(TEXT)
    return value


def property_value(obj: Any, name: str, default: Any = None) -> Any:
    """``get_property`` made plain (see ``plain_value``)."""
    value = _lookup(obj, name)
    return default if value is _MISSING else plain_value(value)


def object_to_values(obj: Any, table: dict[str, tuple[str, Kind]]) -> dict[str, Any]:
    """Canonical values of the plain object ``obj`` for ``table``: {key: (Exchange property name, kind)}.

    A property the object does not have is left out, so a caller can tell "this Exchange has no such
    setting" from "the setting is empty"; a value the kind cannot read raises UnexpectedExchangeValue.
    """
    found = {}
    for property_name, _kind in table.values():
        value = _lookup(obj, property_name)
        if value is not _MISSING:
            found[property_name] = plain_value(value)
    return values_from_properties(found, table)
