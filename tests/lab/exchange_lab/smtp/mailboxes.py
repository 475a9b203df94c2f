"""Where accepted mail lands: DIR/mailboxes/<recipient>/<time>-<id>.eml, one file per recipient.

Each delivery also appends one JSON line to DIR/mailboxes/deliveries.jsonl, so a test can
tell which connector took a message and how (source, TLS, authenticated user). Each AUTH
command a listener receives appends one line to DIR/mailboxes/auth_attempts.jsonl (never the
credential itself), so a test can prove that a client sent no credential where it must not.
"""
import json
import os
import re
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

MAILBOXES_DIR = "mailboxes"
JOURNAL = "deliveries.jsonl"
AUTH_JOURNAL = "auth_attempts.jsonl"
_UNSAFE = re.compile(r"[^a-z0-9._@+-]")


def folder_name(recipient: str) -> str:
    """The recipient's folder: the address in lower case, unusual characters replaced by ``_``."""
    name = _UNSAFE.sub("_", recipient.lower())
    return "_" + name if name.startswith(".") else name


class Mailboxes:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.journal = self.root / JOURNAL
        self.auth_journal = self.root / AUTH_JOURNAL
        self._lock = threading.Lock()

    def deliver(self, recipient: str, content: bytes, record: dict) -> Path:
        """Write ``content`` for ``recipient`` (atomically) and journal it with ``record``."""
        folder = self.root / folder_name(recipient)
        folder.mkdir(exist_ok=True)
        now = datetime.now(timezone.utc)
        path = folder / f"{now:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}.eml"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(content)
        os.replace(tmp, path)  # a reader never sees half a message
        line = json.dumps({**record, "rcpt": recipient, "file": str(path), "time": now.isoformat()})
        with self._lock, open(self.journal, "a", encoding="utf-8") as journal:
            journal.write(line + "\n")
        return path

    def record_auth_attempt(self, record: dict) -> None:
        """Journal one AUTH command (who, where, with or without TLS); the caller leaves the credential out."""
        line = json.dumps({**record, "time": datetime.now(timezone.utc).isoformat()})
        with self._lock, open(self.auth_journal, "a", encoding="utf-8") as journal:
            journal.write(line + "\n")
