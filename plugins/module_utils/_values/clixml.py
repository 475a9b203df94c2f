# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CLIXML read with pypsrp's own Serializer, where XML still has to be read.

- A MultiValuedProperty (Bindings, RemoteIPRanges) has a type pypsrp (0.9.1) does not know, so pypsrp
  leaves its <LST> as raw XML text; ``list_fragment_items`` hands that XML back to pypsrp's Serializer
  (psobject.plain_objects calls it, so only where pypsrp's objects arrive).
- ``objects_from_export_clixml`` reads an Export-Clixml document (the real captures the tests use) as a
  PSRP pipeline's output is read.

Nothing here parses CLIXML by hand; modules read objects as plain data (psobject.py), never this file.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET


class _UnknownTypeNames(dict):
    """TN references to type lists defined outside the fragment being read: known as System.Object."""

    def __missing__(self, key):
        return ["System.Object"]


class _UnknownObjects(dict):
    """<Ref> references to objects defined outside the fragment: unknown (None)."""

    def __missing__(self, key):
        return None


def list_fragment_items(raw: str) -> list:
    """The items of pypsrp's raw <LST>/<IE> XML, deserialised by one pypsrp Serializer.

    The items may refer (TNRef/Ref) to type lists and objects serialised before them, outside the
    fragment; pypsrp would fail on those, so unknown references resolve to System.Object (types) and
    None (objects). Within the fragment references resolve normally.
    """
    from pypsrp.serializer import Serializer

    serializer = Serializer()
    serializer.tn = _UnknownTypeNames()
    serializer.obj = _UnknownObjects()
    return [serializer.deserialize(element, clear=False) for element in ET.fromstring(raw)]


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


def plain_objects_from_export_clixml(text: str | bytes) -> list:
    """An Export-Clixml document's objects as the plain data modules read (psobject.py)."""
    from ansible_collections.mailflow.exchange.plugins.module_utils._values.psobject import plain_objects

    return plain_objects(objects_from_export_clixml(text))
