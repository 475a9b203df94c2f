"""A private MIT Kerberos KDC for the lab (Debian's krb5-kdc, `make kerberos-deps`).

``MitKdc(directory).start()`` creates a realm database in ``directory`` (a random
master password, stash file), adds the admin user with the lab password, the
service principal ``HTTP/<service host>`` (exported to a keytab for the WSMan
acceptor) and a client keytab for the user, writes a krb5.conf for clients and
runs ``krb5kdc`` in the foreground on a free 127.0.0.1 port (UDP and TCP).
``stop()`` ends it. Every wait is bounded. Nothing outside ``directory`` is
touched: the tools get KRB5_CONFIG/KRB5_KDC_PROFILE pointing into it.
"""
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REALM = "LAB.TEST"
# A name that resolves to 127.0.0.1 everywhere without editing /etc/hosts; the
# krb5.conf below turns off DNS canonicalisation so the SPN stays HTTP/localhost.
SERVICE_HOST = "localhost"
USER = "exadmin"

# Debian installs the KDC tools in /usr/sbin, which a non-root PATH may lack.
_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")


def _die_with_parent() -> None:
    """Linux: the KDC gets SIGTERM when the lab dies, even by SIGKILL (no orphaned krb5kdc)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class KdcError(Exception):
    """The KDC could not be set up or did not start."""


@dataclass(frozen=True)
class KdcInfo:
    realm: str
    kdc: str  # host:port
    krb5_conf: Path
    user_principal: str
    password: str
    service_host: str
    service_principal: str
    service_keytab: Path
    user_keytab: Path

    def as_json(self) -> dict:
        return {
            "realm": self.realm, "kdc": self.kdc, "krb5_conf": str(self.krb5_conf),
            "user_principal": self.user_principal, "password": self.password,
            "service_host": self.service_host, "service_principal": self.service_principal,
            "service_keytab": str(self.service_keytab), "user_keytab": str(self.user_keytab),
        }


def find_tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))
    if path is None:
        raise KdcError(f"{name} not found: install MIT Kerberos (`make kerberos-deps` on Debian/Ubuntu)")
    return path


def krb5_conf_text(realm: str, kdc: str, service_host: str) -> str:
    """The client configuration of the lab realm (also shown in the README)."""
    return (
        "[libdefaults]\n"
        f"    default_realm = {realm}\n"
        "    dns_lookup_kdc = false\n"
        "    dns_lookup_realm = false\n"
        # The SPN is built from the name as given (HTTP/localhost), never from DNS.
        "    dns_canonicalize_hostname = false\n"
        "    rdns = false\n"
        "    forwardable = true\n"
        "    udp_preference_limit = 1\n"
        "\n[realms]\n"
        f"    {realm} = {{\n        kdc = {kdc}\n    }}\n"
        "\n[domain_realm]\n"
        f"    {service_host} = {realm}\n"
    )


def _kdc_conf_text(realm: str, directory: Path, port: int) -> str:
    return (
        "[kdcdefaults]\n"
        f"    kdc_listen = 127.0.0.1:{port}\n"
        f"    kdc_tcp_listen = 127.0.0.1:{port}\n"
        "\n[realms]\n"
        f"    {realm} = {{\n"
        f"        database_name = {directory}/principal\n"
        f"        key_stash_file = {directory}/stash\n"
        f"        acl_file = {directory}/kadm5.acl\n"
        "        max_life = 10h\n"
        "        max_renewable_life = 1d\n"
        "        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n"
        "    }\n"
        "\n[logging]\n"
        f"    kdc = FILE:{directory}/kdc.log\n"
    )


def _free_port(attempts: int = 20) -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (the KDC serves both)."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise KdcError("no free port for the KDC on 127.0.0.1")


class MitKdc:
    def __init__(self, directory: Path, password: str, realm: str = REALM,
                 service_host: str = SERVICE_HOST, user: str = USER):
        self.directory = Path(directory).resolve()
        self.realm = realm
        self.service_host = service_host
        self.user = user
        self._password = password
        self._process: subprocess.Popen | None = None
        self.info: KdcInfo | None = None

    def start(self, timeout: float = 20.0) -> KdcInfo:
        if self.directory.exists():
            shutil.rmtree(self.directory)  # a fresh realm each start: no stale tickets or keys
        self.directory.mkdir(parents=True, mode=0o700)
        port = _free_port()
        kdc = f"127.0.0.1:{port}"
        krb5_conf = self.directory / "krb5.conf"
        krb5_conf.write_text(krb5_conf_text(self.realm, kdc, self.service_host))
        kdc_conf = self.directory / "kdc.conf"
        kdc_conf.write_text(_kdc_conf_text(self.realm, self.directory, port))
        (self.directory / "kadm5.acl").write_text("")
        env = dict(os.environ, KRB5_CONFIG=str(krb5_conf), KRB5_KDC_PROFILE=str(kdc_conf))
        env.pop("KRB5CCNAME", None)

        master = secrets.token_urlsafe(24)
        self._run(env, find_tool("kdb5_util"), "create", "-s", "-r", self.realm, "-P", master)
        service_principal = f"HTTP/{self.service_host}@{self.realm}"
        user_principal = f"{self.user}@{self.realm}"
        service_keytab = self.directory / "http.keytab"
        user_keytab = self.directory / f"{self.user}.keytab"
        for query in (
            f"addprinc -pw {self._password} {user_principal}",
            f"addprinc -randkey {service_principal}",
            f"ktadd -k {service_keytab} {service_principal}",
            # -norandkey keeps the password working next to the client keytab.
            f"ktadd -k {user_keytab} -norandkey {user_principal}",
        ):
            self._run(env, find_tool("kadmin.local"), "-r", self.realm, "-q", query)

        log_file = open(self.directory / "krb5kdc.out", "wb")
        try:
            self._process = subprocess.Popen(
                [find_tool("krb5kdc"), "-n", "-r", self.realm], env=env,
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent)
        finally:
            log_file.close()
        self._wait_listening(port, timeout)
        self.info = KdcInfo(self.realm, kdc, krb5_conf, user_principal, self._password,
                            self.service_host, service_principal, service_keytab, user_keytab)
        return self.info

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def _run(self, env: dict, *command: str) -> None:
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=60, check=False)
        if result.returncode != 0:
            # The command line may hold the password: name the tool only.
            raise KdcError(f"{Path(command[0]).name} failed ({result.returncode}): "
                           f"{result.stderr.replace(self._password, '********').strip()}")

    def _wait_listening(self, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = (self.directory / "krb5kdc.out").read_text(errors="replace")
                raise KdcError(f"krb5kdc exited with {self._process.returncode}: {output.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise KdcError(f"krb5kdc did not listen on 127.0.0.1:{port} within {timeout:.0f}s")
