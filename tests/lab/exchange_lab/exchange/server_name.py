"""Seeds for a lab server of another name (``exchange-lab serve --server-name``).

A fan-out test needs many Exchange servers that look like separate machines. Each one
is the captured server under a new name: every occurrence of the captured name in the
seeds (connector names, identities, Server ids and distinguished names, FQDNs) becomes
the new one, so the objects agree with each other as a real server's would.
Left as captured:
- TlsCertificateName: it names a certificate by issuer and subject, and the certificates'
  DER bytes (which carry those names) cannot be rewritten;
- SerializationData blobs (base64 .NET BinaryFormatter): they are the captured
  server's bytes; the lab itself never reads the blobs of renamed properties.
"""
import re
from pathlib import Path

from exchange_lab.exchange import shapes
from exchange_lab.exchange.store import load_clixml_text

# GUESS: a NetBIOS computer name (at most 15 characters of letters, digits and hyphens),
# as Exchange server names are.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,14}$")
_KEPT = re.compile(r'<Obj N="TlsCertificateName".*?</Obj>|<BA N="[^"]*">[^<]*</BA>', re.DOTALL)
RENAMED_SEEDS_DIR = "renamed-seeds"


def check_server_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"server name {name!r}: expected 1-15 letters, digits or hyphens (a NetBIOS name)")
    return name


def captured_server_name(texts: list[str]) -> str | None:
    """The Name of the Server the seeds' first receive connector belongs to."""
    for text in texts:
        for obj in load_clixml_text(text):
            if shapes.RECEIVE_CONNECTOR_TYPE in obj.PSObject.type_names:
                return str(shapes.property_value(shapes.property_value(obj, "Server"), "Name"))
    return None


def rename_text(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced by ``new`` (case kept per spelling) outside the kept parts."""
    pattern = re.compile(re.escape(old), re.IGNORECASE)

    def replace(match: re.Match) -> str:
        found = match.group(0)
        return new.lower() if found.islower() else new

    pieces, position = [], 0
    for kept in _KEPT.finditer(text):
        pieces.append(pattern.sub(replace, text[position:kept.start()]))
        pieces.append(kept.group(0))
        position = kept.end()
    pieces.append(pattern.sub(replace, text[position:]))
    return "".join(pieces)


def renamed_seeds(seeds: list[Path], new_name: str, out_dir: Path) -> list[Path]:
    """Copies of ``seeds`` in ``out_dir`` with their server renamed to ``new_name``."""
    check_server_name(new_name)
    texts = [Path(seed).read_text(encoding="utf-8-sig") for seed in seeds]
    old_name = captured_server_name(texts)
    if old_name is None:
        raise ValueError("--server-name needs a seed with receive connectors (the server to rename)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for seed, text in zip(seeds, texts):
        target = out_dir / Path(seed).name
        target.write_text(rename_text(text, old_name, new_name), encoding="utf-8")
        written.append(target)
    return written
