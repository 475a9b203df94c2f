# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A reader for .NET Remoting Binary Format ([MS-NRBF]) streams, data only.

Exchange's remote PowerShell adds a ``SerializationData`` note to its objects: the object's own
fields as a BinaryFormatter stream. Some facts exist nowhere else in what the server sends: an
ExchangeCertificate's Services, Status and private-key details (see the E19
Get-ExchangeCertificate capture, whose objects carry only RawData besides it).

This reader turns such a stream into plain Python values: a class instance becomes an
``NrbfObject`` (its class name and a dict of members), arrays become lists (bytes for byte
arrays), strings str, primitives int/float/bool. It never loads or runs types: it only
decodes. Every count is checked against the bytes left, so a malformed stream raises
``NrbfError`` instead of allocating without bound. Record layouts: [MS-NRBF] section 2.
"""
from __future__ import annotations

import struct

__all__ = ["NrbfError", "NrbfObject", "read_stream"]


class NrbfError(ValueError):
    """The bytes are not a stream this reader understands."""


class NrbfObject:
    """A class instance: ``class_name`` and ``members`` ({field name: value})."""

    def __init__(self, class_name, members):
        self.class_name = class_name
        self.members = members

    def get(self, name, default=None):
        return self.members.get(name, default)

    def __repr__(self):
        return "NrbfObject(%r, %r)" % (self.class_name, self.members)


class _Ref:
    """A member that points to an object defined elsewhere in the stream (resolved at the end)."""

    def __init__(self, object_id):
        self.object_id = object_id


class _Nulls:
    """ObjectNullMultiple: ``count`` consecutive null array elements."""

    def __init__(self, count):
        self.count = count


# RecordTypeEnumeration ([MS-NRBF] 2.1.2.1).
_HEADER, _CLASS_WITH_ID, _SYSTEM_CLASS_UNTYPED, _CLASS_UNTYPED = 0, 1, 2, 3
_SYSTEM_CLASS_TYPED, _CLASS_TYPED, _OBJECT_STRING, _BINARY_ARRAY = 4, 5, 6, 7
_PRIMITIVE_TYPED, _REFERENCE, _NULL, _MESSAGE_END, _LIBRARY = 8, 9, 10, 11, 12
_NULL_MULTIPLE_256, _NULL_MULTIPLE = 13, 14
_ARRAY_PRIMITIVE, _ARRAY_OBJECT, _ARRAY_STRING = 15, 16, 17

# BinaryTypeEnumeration ([MS-NRBF] 2.1.2.2).
_BT_PRIMITIVE, _BT_SYSTEM_CLASS, _BT_CLASS, _BT_PRIMITIVE_ARRAY = 0, 3, 4, 7

# PrimitiveTypeEnumeration ([MS-NRBF] 2.1.2.3): fixed-size ones as struct formats.
_FIXED = {1: "<?", 2: "<B", 6: "<d", 7: "<h", 8: "<i", 9: "<q", 10: "<b", 11: "<f", 12: "<q",
          13: "<Q", 14: "<H", 15: "<I", 16: "<Q"}
_PT_CHAR, _PT_DECIMAL, _PT_NULL, _PT_STRING, _PT_BYTE = 3, 5, 17, 18, 2
_DATETIME_TICKS = (1 << 62) - 1  # DateTime: the low 62 bits are ticks, the top two the kind


class _Reader:
    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def left(self):
        return len(self.data) - self.pos

    def take(self, size):
        if size < 0 or size > self.left():
            raise NrbfError("stream ends early (need %d bytes at offset %d)" % (size, self.pos))
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def byte(self):
        return self.unpack("<B")

    def int32(self):
        return self.unpack("<i")

    def count(self, per_item=1):
        """A non-negative INT32 count that the rest of the stream can hold."""
        value = self.int32()
        if value < 0 or value * per_item > self.left():
            raise NrbfError("implausible count %d at offset %d" % (value, self.pos - 4))
        return value

    def string(self):
        """LengthPrefixedString: a 7-bit encoded length, then UTF-8 ([MS-NRBF] 2.1.1.6)."""
        length, shift = 0, 0
        for _index in range(5):
            part = self.byte()
            length |= (part & 0x7F) << shift
            if not part & 0x80:
                break
            shift += 7
        else:
            raise NrbfError("bad string length at offset %d" % self.pos)
        try:
            return self.take(length).decode("utf-8")
        except UnicodeDecodeError as err:
            raise NrbfError("string is not UTF-8: %s" % err) from None

    def primitive(self, kind):
        if kind in _FIXED:
            value = self.unpack(_FIXED[kind])
            return value & _DATETIME_TICKS if kind == 13 else value
        if kind in (_PT_DECIMAL, _PT_STRING):
            return self.string()
        if kind == _PT_CHAR:
            return self._char()
        if kind == _PT_NULL:
            return None
        raise NrbfError("unknown primitive type %d" % kind)

    def _char(self):
        first = self.data[self.pos] if self.left() else 0
        size = 1 if first < 0x80 else 2 if first < 0xE0 else 3 if first < 0xF0 else 4
        try:
            return self.take(size).decode("utf-8")
        except UnicodeDecodeError as err:
            raise NrbfError("char is not UTF-8: %s" % err) from None


class _ClassLayout:
    """What a class record declares: its name, member names and member types (None: untyped)."""

    def __init__(self, name, member_names, member_types):
        self.name = name
        self.member_names = member_names
        self.member_types = member_types


class _Parser:
    def __init__(self, data):
        self.reader = _Reader(data)
        self.objects = {}
        self.layouts = {}

    # --- records ------------------------------------------------------------------------------

    def record(self):
        """The next value record (libraries skipped): a value, _Ref or _Nulls."""
        kind = self.reader.byte()
        while kind == _LIBRARY:
            self.reader.int32()
            self.reader.string()
            kind = self.reader.byte()
        handler = self._HANDLERS.get(kind)
        if handler is None:
            raise NrbfError("unsupported record type %d at offset %d" % (kind, self.reader.pos - 1))
        return handler(self)

    def _class_info(self):
        object_id = self.reader.int32()
        name = self.reader.string()
        names = [self.reader.string() for _index in range(self.reader.count())]
        return object_id, name, names

    def _member_types(self, count):
        binary_types = [self.reader.byte() for _index in range(count)]
        types = []
        for binary_type in binary_types:
            extra = None
            if binary_type in (_BT_PRIMITIVE, _BT_PRIMITIVE_ARRAY):
                extra = self.reader.byte()
            elif binary_type == _BT_SYSTEM_CLASS:
                self.reader.string()
            elif binary_type == _BT_CLASS:
                self.reader.string()
                self.reader.int32()
            types.append((binary_type, extra))
        return types

    def _class(self, typed, has_library):
        object_id, name, names = self._class_info()
        types = self._member_types(len(names)) if typed else [None] * len(names)
        if has_library:
            self.reader.int32()
        layout = _ClassLayout(name, names, types)
        self.layouts[object_id] = layout
        return self._instance(object_id, layout)

    def _class_with_id(self):
        object_id = self.reader.int32()
        layout = self.layouts.get(self.reader.int32())
        if layout is None:
            raise NrbfError("ClassWithId refers to an unknown class")
        return self._instance(object_id, layout)

    def _instance(self, object_id, layout):
        members = {}
        for name, member_type in zip(layout.member_names, layout.member_types):
            if member_type is not None and member_type[0] == _BT_PRIMITIVE:
                members[name] = self.reader.primitive(member_type[1])
            else:
                value = self.record()
                members[name] = None if isinstance(value, _Nulls) else value
        obj = NrbfObject(layout.name, members)
        self.objects[object_id] = obj
        return obj

    def _object_string(self):
        object_id = self.reader.int32()
        value = self.reader.string()
        self.objects[object_id] = value
        return value

    def _array_primitive(self):
        object_id = self.reader.int32()
        length = self.reader.count()
        kind = self.reader.byte()
        if kind == _PT_BYTE:
            value = self.reader.take(length)
        else:
            value = [self.reader.primitive(kind) for _index in range(length)]
        self.objects[object_id] = value
        return value

    def _array_of_records(self):
        object_id = self.reader.int32()
        value = self._elements(self.reader.count(), None)
        self.objects[object_id] = value
        return value

    def _binary_array(self):
        object_id = self.reader.int32()
        array_type = self.reader.byte()
        rank = self.reader.count(per_item=4)
        lengths = [self.reader.count() for _index in range(rank)]
        if array_type in (3, 4, 5):  # the *Offset kinds carry lower bounds
            for _index in range(rank):
                self.reader.int32()
        element_type = self._member_types(1)[0]
        total = 1
        for length in lengths:
            total *= length
        if total > self.reader.left():
            raise NrbfError("implausible array size %d" % total)
        value = self._elements(total, element_type)
        self.objects[object_id] = value
        return value

    def _elements(self, total, element_type):
        """``total`` array elements: inline primitives, or records where nulls may come in runs."""
        if element_type is not None and element_type[0] == _BT_PRIMITIVE:
            return [self.reader.primitive(element_type[1]) for _index in range(total)]
        items = []
        while len(items) < total:
            item = self.record()
            if isinstance(item, _Nulls):
                if item.count > total - len(items):
                    raise NrbfError("more nulls than array elements")
                items.extend([None] * item.count)
            else:
                items.append(item)
        return items

    def _primitive_typed(self):
        return self.reader.primitive(self.reader.byte())

    def _reference(self):
        return _Ref(self.reader.int32())

    def _null(self):
        return None

    def _nulls_256(self):
        return _Nulls(self.reader.byte())

    def _nulls(self):
        return _Nulls(self.reader.count(per_item=0))

    _HANDLERS = {
        _CLASS_WITH_ID: _class_with_id,
        _SYSTEM_CLASS_UNTYPED: lambda self: self._class(typed=False, has_library=False),
        _CLASS_UNTYPED: lambda self: self._class(typed=False, has_library=True),
        _SYSTEM_CLASS_TYPED: lambda self: self._class(typed=True, has_library=False),
        _CLASS_TYPED: lambda self: self._class(typed=True, has_library=True),
        _OBJECT_STRING: _object_string,
        _BINARY_ARRAY: _binary_array,
        _PRIMITIVE_TYPED: _primitive_typed,
        _REFERENCE: _reference,
        _NULL: _null,
        _NULL_MULTIPLE_256: _nulls_256,
        _NULL_MULTIPLE: _nulls,
        _ARRAY_PRIMITIVE: _array_primitive,
        _ARRAY_OBJECT: _array_of_records,
        _ARRAY_STRING: _array_of_records,
    }

    # --- the stream ---------------------------------------------------------------------------

    def parse(self):
        if self.reader.byte() != _HEADER:
            raise NrbfError("no SerializedStreamHeader")
        root_id = self.reader.int32()
        for _index in range(3):  # HeaderId, MajorVersion, MinorVersion
            self.reader.int32()
        while True:
            if self.reader.left() == 0:
                raise NrbfError("no MessageEnd record")
            if self.reader.data[self.reader.pos] == _MESSAGE_END:
                break
            self.record()
        if root_id not in self.objects:
            raise NrbfError("the root object %d is not in the stream" % root_id)
        return self._resolve(self.objects[root_id], set())

    def _resolve(self, value, visiting):
        """Replace references by the objects they name (a cycle is left as None)."""
        if isinstance(value, _Ref):
            if value.object_id not in self.objects:
                raise NrbfError("reference to unknown object %d" % value.object_id)
            if value.object_id in visiting:
                return None
            visiting.add(value.object_id)
            resolved = self._resolve(self.objects[value.object_id], visiting)
            visiting.discard(value.object_id)
            return resolved
        if isinstance(value, NrbfObject):
            value.members = {name: self._resolve(item, visiting) for name, item in value.members.items()}
        elif isinstance(value, list):
            value[:] = [self._resolve(item, visiting) for item in value]
        return value


def read_stream(data):
    """The root object of a BinaryFormatter stream, references resolved. Raises NrbfError."""
    if not isinstance(data, (bytes, bytearray)):
        raise NrbfError("expected bytes, got %s" % type(data).__name__)
    return _Parser(data).parse()
