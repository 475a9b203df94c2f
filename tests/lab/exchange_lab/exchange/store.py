"""The organisation's objects: seeded from Export-Clixml captures, kept in DIR/store.xml.

Objects are the psrpcore objects themselves, in the shapes a server sends.
Loading undoes what the deserializer does to a capture: psrpcore prefixes type
names with "Deserialized." (a real server sends them without) and turns enums
into plain integers (the lab must send them back as <TN/><ToString/><I32/>).
"""
import os
from pathlib import Path
from typing import Any, Iterable, Optional

from psrpcore.types import PSObject, deserialize_clixml, serialize_clixml
from psrpcore.types._primitive import PSIntegerBase

from exchange_lab.exchange import shapes

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# The E19 captures, plus the certificate capture of the same server as the E19
# receive connectors (WIN-CTD3L0RGEN4), which their TlsCertificateName names.
DEFAULT_SEEDS = [
    DATA_DIR / "E19-GetReceiveConnector.xml",
    DATA_DIR / "E19-GetExchangeCertificate.xml",
    DATA_DIR / "E19-GetAcceptedDomain.xml",
    DATA_DIR / "GetExchangeCertificate-MultipleMatches.xml",
]
STORE_FILE = "store.xml"
_HEADER = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
_DESERIALIZED = "Deserialized."


class _EmptyText(str):
    """An empty <ToString /> the serializer keeps (it drops falsy strings)."""

    def __bool__(self) -> bool:
        return True


class Store:
    """All objects of the organisation, classified by their first type name."""

    def __init__(self, objects: list[PSObject], path: Path):
        self._objects = objects
        self._path = path
        # Serialized text of each unchanged object: psrpcore's serializer is slow,
        # and every write persists the whole store.
        self._fragments: dict[int, str] = {}
        # How many times the store was written since it was opened (readers watch it move).
        self.generation = 0

    @property
    def directory(self) -> Path:
        """The state directory the store lives in."""
        return self._path.parent

    @classmethod
    def open(cls, state_dir: Path, seeds: Iterable[Path], reset: bool = False) -> "Store":
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / STORE_FILE
        if path.exists() and not reset:
            return cls(load_clixml(path), path)
        objects: list[PSObject] = []
        documents: list[str] = []
        for seed in list(seeds) or DEFAULT_SEEDS:
            text = Path(seed).read_text(encoding="utf-8-sig")
            objects.extend(load_clixml_text(text))
            documents.append(_inner(text))
        # The seeds' own XML already is these objects as a server holds them (loading
        # them again gives the same objects), so it starts the store file as it is.
        _write_atomically(path, f'{_HEADER}{"".join(documents)}</Objs>')
        return cls(objects, path)

    def of_type(self, type_name: str) -> list[PSObject]:
        return [obj for obj in self._objects if type_name_of(obj) == type_name]

    def add(self, obj: PSObject) -> None:
        self._objects.append(obj)

    def remove(self, obj: PSObject) -> None:
        self._objects[:] = [o for o in self._objects if o is not obj]
        self._fragments.pop(id(obj), None)

    def changed(self, obj: PSObject) -> None:
        """Tell the store that ``obj`` was modified in place."""
        self._fragments.pop(id(obj), None)

    def save(self) -> None:
        """Write all objects to DIR/store.xml atomically.

        Each object is serialized on its own (its RefIds are its own; a reader
        resolves a Ref to the latest definition of that RefId, which is always
        inside the same object).
        """
        live = {id(obj) for obj in self._objects}
        self._fragments = {key: text for key, text in self._fragments.items() if key in live}
        parts = []
        for obj in self._objects:
            if id(obj) not in self._fragments:
                self._fragments[id(obj)] = _inner(serialize_clixml(obj, None))
            parts.append(self._fragments[id(obj)])
        _write_atomically(self._path, f'{_HEADER}{"".join(parts)}</Objs>')
        self.generation += 1


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _inner(document: str) -> str:
    """The objects of a CLIXML document, without the <Objs> element around them."""
    start = document.index("<Objs")
    return document[document.index(">", start) + 1:document.rindex("</Objs>")]


def type_name_of(obj: Any) -> Optional[str]:
    names = getattr(getattr(obj, "PSObject", None), "type_names", None)
    return names[0] if names else None


def load_clixml(path: Path) -> list[PSObject]:
    """Objects of an Export-Clixml file (or of store.xml) as a server holds them."""
    return load_clixml_text(path.read_text(encoding="utf-8-sig"))


def load_clixml_text(text: str) -> list[PSObject]:
    return [normalize(obj) for obj in deserialize_clixml(text, None)]


def normalize(value: Any, seen: Optional[set[int]] = None) -> Any:
    """Strip "Deserialized." and turn enum integers back into enum values, recursively."""
    seen = set() if seen is None else seen
    if not isinstance(value, PSObject):
        return value
    meta = value.PSObject
    if any(name.startswith(_DESERIALIZED) for name in meta.type_names):
        meta.type_names = [name[len(_DESERIALIZED):] if name.startswith(_DESERIALIZED) else name
                           for name in meta.type_names]
    if isinstance(value, PSIntegerBase) and "System.Enum" in meta.type_names:
        return shapes.captured_enum(meta.type_names, int(value), meta.to_string or str(int(value)))
    if id(value) in seen:
        return value
    seen.add(id(value))
    if meta.to_string == "":
        meta.to_string = _EmptyText("")
    elif meta.to_string:
        meta.to_string = shapes.clixml_text(meta.to_string)
    for prop in meta.adapted_properties + meta.extended_properties:
        current = prop.get_value(value)
        fixed = normalize(current, seen)
        if fixed is not current:
            prop.set_value(fixed, value)
    if isinstance(value, list):
        value[:] = [normalize(item, seen) for item in value]
    elif isinstance(value, dict):
        for key in list(value):
            value[key] = normalize(value[key], seen)
    return value
