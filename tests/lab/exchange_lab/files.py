"""Writing the lab's state files: atomically, and owner-only when they hold secrets."""
import os
from pathlib import Path
from typing import Union


def write_atomic(path: Path, data: Union[bytes, str], private: bool = True) -> None:
    """Write via a temporary file and a rename, so readers never see half a file.

    ``private`` files (keys, passwords, lab.json) are created 0600, readable by the
    owner from the first byte; others 0644.
    """
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(path.name + ".tmp")
    mode = 0o600 if private else 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
    os.chmod(tmp, mode)  # O_CREAT leaves an existing tmp file's mode as it was
    os.replace(tmp, path)
