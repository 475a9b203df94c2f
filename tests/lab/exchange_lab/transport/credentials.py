"""The lab's one administrator account, persisted per state directory."""
import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from ..files import write_atomic

DOMAIN = "LAB"
ACCOUNT = "exadmin"
UPN_SUFFIX = "lab.test"
CANONICAL_USER = f"{DOMAIN}\\{ACCOUNT}"

CREDENTIALS_FILE = "credentials.json"
NTLM_USER_FILE = "ntlm-users.txt"


@dataclass(frozen=True)
class LabCredentials:
    username: str
    password: str

    def canonical_user(self, name: str) -> str | None:
        """The account ``name`` denotes (``LAB\\exadmin``), or None if it is not ours.

        Accepts the down-level form, the bare account name and the UPN, case-insensitively,
        as Windows does for user names.
        """
        accepted = {CANONICAL_USER.lower(), ACCOUNT.lower(), f"{ACCOUNT}@{UPN_SUFFIX}".lower()}
        return self.username if name.lower() in accepted else None

    def ntlm_user_lines(self) -> str:
        """pyspnego's NTLM acceptor store (``DOMAIN:USER:PASSWORD`` per line).

        One line per spelling a client may send, so that ``exadmin`` and
        ``exadmin@lab.test`` authenticate too.
        """
        return "".join(
            f"{domain}:{user}:{self.password}\n"
            for domain, user in ((DOMAIN, ACCOUNT), ("", ACCOUNT), ("", f"{ACCOUNT}@{UPN_SUFFIX}"))
        )


def _new_password() -> str:
    # Letters, digits and a symbol so it would satisfy a Windows complexity
    # policy; no ':' because the NTLM store is colon-separated.
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(20))
    return f"Lab-{core}9a"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only."""
    write_atomic(path, text, private=True)


def load_or_create(state_dir: Path) -> LabCredentials:
    """The credentials of ``state_dir``, generating a random password the first time."""
    path = Path(state_dir) / CREDENTIALS_FILE
    if path.exists():
        data = json.loads(path.read_text())
        return LabCredentials(data["username"], data["password"])
    credentials = LabCredentials(CANONICAL_USER, _new_password())
    write_private(path, json.dumps({"username": credentials.username, "password": credentials.password}, indent=1))
    return credentials


def install_ntlm_user_file(state_dir: Path, credentials: LabCredentials) -> Path:
    """Write the NTLM store and point this process's NTLM_USER_FILE at it.

    pyspnego reads the variable when an acceptor context is created, so this
    must run before the first NTLM handshake.
    """
    path = Path(state_dir) / NTLM_USER_FILE
    write_private(path, credentials.ntlm_user_lines())
    os.environ["NTLM_USER_FILE"] = str(path)
    return path
