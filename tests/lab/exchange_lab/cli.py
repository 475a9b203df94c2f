"""exchange-lab: run the Exchange lab.

    exchange-lab serve --state DIR [--seed FILE.xml ...] [--port 0] [--https-port 0] [--reset]
                       [--online-port 0] [--online-restrict-inbound-connectors] [--max-runspaces-per-user 18]
                       [--kerberos [--kerberos-port 0] [--kerberos-realm LAB.TEST]]
                       [--latency-runspace-open S] [--latency-call S] [--latency-token S]
                       [--variant NAME[=VALUE] ...]

``serve`` opens the Exchange model in DIR, starts the remote PowerShell, SMTP, Exchange
Online (token service + REST) and Exchange Online Protection (SMTP) listeners on 127.0.0.1,
writes DIR/lab.json once they accept connections (and again whenever the SMTP listeners
change) and runs until SIGTERM/SIGINT, removing lab.json on the way out.
"""
import argparse
import json
import logging
import os
import signal
import sys
import threading
import shutil
from pathlib import Path

from .faults import FAULTS_FILE, FaultPlan, lab_json_entry
from .latency import Latency
from .stats import Stats
from .transport import CONFIGURATION_NAME, RemotePowerShell, start_remote_powershell
from .transport.credentials import write_private
from . import variants

LAB_JSON = "lab.json"
STATS_JSON = "stats.json"
MAILBOXES_DIR = "mailboxes"  # exchange_lab.smtp.mailboxes.MAILBOXES_DIR (not imported: --help stays light)

log = logging.getLogger(__name__)


def lab_info(state_dir: Path, remote: RemotePowerShell, latency: Latency, kdc=None) -> dict:
    """The contents of lab.json: how to reach the lab and where its files are."""
    username, password = remote.credentials.username, remote.credentials.password
    host = "127.0.0.1"

    def psrp(port: int, ssl: bool, auth: str, ca_path) -> dict:
        return {"host": host, "port": port, "path": "PowerShell", "ssl": ssl, "auth": auth,
                "username": username, "password": password, "ca_path": ca_path,
                "configuration_name": CONFIGURATION_NAME}

    ca_path = str(remote.ca_path)
    kerberos = {} if kdc is None else kerberos_info(remote, kdc)
    return {
        **kerberos,
        "psrp": psrp(remote.http.port, False, "ntlm", None),
        "psrp_https": psrp(remote.https.port, True, "basic", ca_path),
        "stats": str(state_dir / STATS_JSON),
        "state": str(state_dir),
        "pid": os.getpid(),
        "latency": latency.info(),
        "env": {
            "EXCHANGE_HOST": host, "EXCHANGE_PORT": str(remote.http.port), "EXCHANGE_AUTH": "ntlm",
            "EXCHANGE_USE_SSL": "false", "EXCHANGE_USERNAME": username, "EXCHANGE_PASSWORD": password,
        },
        "env_https": {
            "EXCHANGE_HOST": host, "EXCHANGE_PORT": str(remote.https.port), "EXCHANGE_AUTH": "basic",
            "EXCHANGE_USE_SSL": "true", "EXCHANGE_CA_PATH": ca_path,
            "EXCHANGE_USERNAME": username, "EXCHANGE_PASSWORD": password,
        },
    }


class LabJson:
    """DIR/lab.json: published once the lab is ready, rewritten when its contents change.

    Atomic (tmp + rename) and owner-only: it holds the password. Never written before
    ``publish()`` or after ``withdraw()``, so an existing file always describes a running lab.
    """

    def __init__(self, path: Path, info: dict):
        self._path = path
        self._info = dict(info)
        self._published = False
        self._lock = threading.Lock()

    def publish(self) -> None:
        with self._lock:
            self._published = True
            self._write()

    def update(self, changes: dict) -> None:
        with self._lock:
            self._info.update(changes)
            if self._published:
                self._write()

    def withdraw(self) -> None:
        with self._lock:
            self._published = False
            self._path.unlink(missing_ok=True)

    def _write(self) -> None:
        write_private(self._path, json.dumps(self._info, indent=1))


def kerberos_info(remote: RemotePowerShell, kdc) -> dict:
    """lab.json's Kerberos part: the realm (``kerberos``), the listener and its environment."""
    port = remote.kerberos.port
    return {
        "kerberos": kdc.as_json(),
        "psrp_kerberos": {"host": kdc.service_host, "port": port, "path": "PowerShell", "ssl": False,
                          "auth": "kerberos", "username": kdc.user_principal, "password": kdc.password,
                          "configuration_name": CONFIGURATION_NAME},
        # The collection writes its own krb5.conf from the realm and the KDC.
        "env_kerberos": {
            "EXCHANGE_HOST": kdc.service_host, "EXCHANGE_PORT": str(port), "EXCHANGE_AUTH": "kerberos",
            "EXCHANGE_USE_SSL": "false", "EXCHANGE_USERNAME": kdc.user_principal,
            "EXCHANGE_PASSWORD": kdc.password, "EXCHANGE_KERBEROS_REALM": kdc.realm,
            "EXCHANGE_KERBEROS_KDC": kdc.kdc,
        },
    }


def start_kdc(state_dir: Path, realm: str):
    """A private MIT KDC in STATE/kerberos whose user is the lab account (same password)."""
    from .kdc import MitKdc
    from .transport import credentials

    return MitKdc(state_dir / "kerberos", credentials.load_or_create(state_dir).password, realm=realm)


def start_smtp(state_dir: Path, endpoint, on_change):
    """The SMTP listeners of the model's receive connectors, started."""
    from .exchange import relay_view
    from .smtp import SmtpLab

    return SmtpLab(relay_view, endpoint, state_dir, on_change=on_change).start()


def start_online(state_dir: Path, stats: Stats, reset: bool, port: int, restrict_inbound_connectors: bool,
                 plan: FaultPlan, latency: Latency):
    """Exchange Online's token service and REST endpoint (exchange_lab.online), started."""
    from .online import start_online as start

    return start(state_dir, stats, reset=reset, port=port, restrict_inbound_connectors=restrict_inbound_connectors,
                 plan=plan, latency=latency)


def start_eop(state_dir: Path, online, smtp):
    """Exchange Online Protection's SMTP front door (exchange_lab.eop), started."""
    from .eop import EopListener

    return EopListener(online.tenant, state_dir, smtp.mailboxes).start()


def serve(args: argparse.Namespace) -> int:
    state_dir = Path(args.state).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    lab_json = state_dir / LAB_JSON
    lab_json.unlink(missing_ok=True)  # left over by a crashed run: never advertise stale ports

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    if args.reset:
        (state_dir / STATS_JSON).unlink(missing_ok=True)
        shutil.rmtree(state_dir / MAILBOXES_DIR, ignore_errors=True)  # a fresh lab has no mail
    variants.activate(dict(args.variant))  # before the model and listeners: they ask while serving
    stats = Stats(state_dir / STATS_JSON)
    plan = FaultPlan(state_dir / FAULTS_FILE, stats)
    plan.clear()  # faults never outlive the lab run that a test switched them on for
    latency = Latency(args.latency_runspace_open, args.latency_call, args.latency_token, stats)

    # Imported here so that --help and the transport never need the model loaded.
    from .exchange.organization import open_organization

    seeds = [Path(seed) for seed in args.seed]
    if args.server_name:
        seeds = rename_server(state_dir, seeds, args.server_name)
    endpoint = open_organization(state_dir, seeds, stats, args.reset)
    register_certificates(endpoint, args.certificate, args.expired_certificate)
    register_special_certificates(endpoint, args.certificate_days, args.reissued_certificate)
    kdc = start_kdc(state_dir, args.kerberos_realm) if args.kerberos else None
    kdc_info = kdc.start() if kdc is not None else None
    try:
        remote = start_remote_powershell(state_dir, endpoint, stats, args.port, args.https_port, plan,
                                         args.max_runspaces_per_user, latency=latency,
                                         kerberos=kdc_info, kerberos_port=args.kerberos_port)
    except BaseException:
        if kdc is not None:
            kdc.stop()
        raise
    published = LabJson(lab_json, {**lab_info(state_dir, remote, latency, kdc_info), "faults": lab_json_entry(plan),
                                   "max_runspaces_per_user": args.max_runspaces_per_user,
                                   "variants": variants.active()})
    smtp = online = eop = None
    try:
        online = start_online(state_dir, stats, args.reset, args.online_port, args.online_restrict_inbound_connectors,
                              plan, latency)
        published.update({"online": online.info(), "env_online": online.env()})
        # After the model (it reads the receive connectors); rewrites lab.json when they change.
        smtp = start_smtp(state_dir, endpoint, published.update)
        published.update(smtp.info())
        # Same mailboxes as on premises; reads the tenant's inbound connectors.
        eop = start_eop(state_dir, online, smtp)
        published.update({"online": {**online.info(), "eop": eop.info()}})
        if not stop.is_set():  # a signal during startup: exit without advertising
            published.publish()
            log.info("lab ready: %s", lab_json)
        while not stop.wait(0.5):
            pass
    finally:
        published.withdraw()
        if eop is not None:
            eop.stop()
        if smtp is not None:
            smtp.stop()
        if online is not None:
            online.stop()
        remote.stop()
        if kdc is not None:
            kdc.stop()
        close = getattr(endpoint, "close", None)
        if callable(close):
            close()
    return 0


def rename_server(state_dir: Path, seeds: list[Path], name: str) -> list[Path]:
    """--server-name: the seeds (default: the captures) with their server renamed, in DIR/renamed-seeds."""
    from .exchange.server_name import RENAMED_SEEDS_DIR, renamed_seeds
    from .exchange.store import DEFAULT_SEEDS

    return renamed_seeds(seeds or DEFAULT_SEEDS, name, state_dir / RENAMED_SEEDS_DIR)


def register_certificates(endpoint, valid: list[str], expired: list[str]) -> None:
    """--certificate / --expired-certificate: certificates on the local server, minted once per state dir."""
    from .exchange.lab_certificates import add_certificate

    for names, is_expired in [(n, False) for n in valid] + [(n, True) for n in expired]:
        thumbprint = add_certificate(endpoint, names.split(","), expired=is_expired)
        log.info("certificate for %s: %s", names, thumbprint)


def register_special_certificates(endpoint, short_lived: list[tuple[list[str], int]], reissued: list[str]) -> None:
    """--certificate-days (about to expire) and --reissued-certificate (same names, the second lab CA)."""
    from .exchange.lab_certificates import add_certificate
    from .exchange.smtp_pki import REISSUING_CA

    for names, days in short_lived:
        log.info("certificate for %s, %d days left: %s", names, days, add_certificate(endpoint, names, days=days))
    for names in reissued:
        thumbprint = add_certificate(endpoint, names.split(","), issuer=REISSUING_CA)
        log.info("certificate for %s from %s: %s", names, REISSUING_CA, thumbprint)


def certificate_days(text: str) -> tuple[list[str], int]:
    """HOST[,HOST...]=DAYS, for --certificate-days."""
    names, sep, days = text.rpartition("=")
    # Below 300: lab_certificates.SHORT_LIVED_DAYS tells these apart from the usual 397-day ones.
    if not sep or not names or not days.isdigit() or not 1 <= int(days) < 300:
        raise argparse.ArgumentTypeError(f"expected HOST[,HOST...]=DAYS with DAYS from 1 to 299, not {text!r}")
    return [name.strip() for name in names.split(",") if name.strip()], int(days)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="exchange-lab", description="A local stand-in for Exchange.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the lab until SIGTERM/SIGINT")
    serve_cmd.add_argument("--state", required=True, help="state directory (credentials, pki, store, stats)")
    serve_cmd.add_argument("--seed", action="append", default=[], metavar="FILE.xml",
                           help="Export-Clixml file to seed the organisation (repeatable; default: the model's)")
    serve_cmd.add_argument("--port", type=int, default=0, help="HTTP (NTLM) port, 0 = any free port")
    serve_cmd.add_argument("--https-port", type=int, default=0, help="HTTPS (Basic) port, 0 = any free port")
    serve_cmd.add_argument("--reset", action="store_true", help="start from the seeds, forgetting earlier changes")
    serve_cmd.add_argument("--log-level", default="WARNING", help="logging level on stderr (default WARNING)")
    serve_cmd.add_argument("--certificate", action="append", default=[], metavar="HOST[,HOST...]",
                           help="register an Exchange certificate (IIS, SMTP) for these host names (repeatable)")
    serve_cmd.add_argument("--expired-certificate", action="append", default=[], metavar="HOST[,HOST...]",
                           help="the same, already expired (for error tests)")
    serve_cmd.add_argument("--certificate-days", action="append", default=[], type=certificate_days,
                           metavar="HOST[,HOST...]=DAYS",
                           help="the same, expiring in DAYS days (1-299; for expiry warnings)")
    serve_cmd.add_argument("--reissued-certificate", action="append", default=[], metavar="HOST[,HOST...]",
                           help="the same names from a second lab CA (a renewal whose issuer changed)")
    serve_cmd.add_argument("--online-port", type=int, default=0,
                           help="HTTPS port of the Exchange Online stand-in (token service + REST), 0 = any free port")
    serve_cmd.add_argument("--online-restrict-inbound-connectors", action="store_true",
                           help="the tenant refuses New-InboundConnector as E5 developer tenants do")
    serve_cmd.add_argument("--kerberos", action="store_true",
                           help="start a private MIT KDC (STATE/kerberos) and a Negotiate/Kerberos listener")
    serve_cmd.add_argument("--kerberos-port", type=int, default=0,
                           help="HTTP (Kerberos) port, 0 = any free port")
    serve_cmd.add_argument("--kerberos-realm", default="LAB.TEST", help="realm of the private KDC")
    serve_cmd.add_argument("--max-runspaces-per-user", type=int, default=18, metavar="N",
                           help="open runspaces one user may hold; more are refused with Exchange's throttling "
                                "fault (default 18, PowerShellMaxConcurrency)")
    serve_cmd.add_argument("--server-name", type=_server_name, metavar="NAME",
                           help="rename the seeds' Exchange server (e.g. LAB-SRV-01), for many labs that look like "
                                "separate servers; applies when the organisation is seeded (first start or --reset)")
    serve_cmd.add_argument("--latency-runspace-open", type=_seconds, default=0.0, metavar="SECONDS",
                           help="delay each RunspacePool open (the opening's first Receive), as a real server "
                                "loading the Exchange cmdlets does (default 0)")
    serve_cmd.add_argument("--latency-call", type=_seconds, default=0.0, metavar="SECONDS",
                           help="delay every WSMan Command/Receive and Exchange Online InvokeCommand (default 0)")
    serve_cmd.add_argument("--latency-token", type=_seconds, default=0.0, metavar="SECONDS",
                           help="delay every token request of the Exchange Online stand-in (default 0)")
    serve_cmd.add_argument("--variant", action="append", default=[], type=_variant, metavar="NAME[=VALUE]",
                           help="play a behaviour the docs leave open (repeatable); known: "
                                + ", ".join(sorted(variants.VARIANTS)))
    return parser


def _variant(text: str):
    try:
        return variants.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _server_name(text: str) -> str:
    from .exchange.server_name import check_server_name

    try:
        return check_server_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 600:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 600, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
