"""Get-ExchangeCertificate: the certificates of one server, exactly as captured or registered.

Get-ExchangeCertificate.md: -Thumbprint is the positional parameter; -Identity
is "ServerNameOrFQDN\\Thumbprint" or a thumbprint and can't be combined with
-Server; without -Server the command runs on the local server; -DomainName
filters on the subject and subject alternative names. The task asks the
server over RPC; its failures come back as "A special Rpc error occurs on
server <name>: ..." (InvalidOperationException).
"""
from typing import Any, Optional

from exchange_lab.exchange import certificate_objects, errors
from exchange_lab.exchange.api import Command
from exchange_lab.exchange.binding import Param, as_identity, as_string, bind
from exchange_lab.exchange.context import Certificate, Context, Outcome, Server

_CMDLET = "Get-ExchangeCertificate"


def _as_domains(value: Any) -> Optional[list[str]]:
    if value is None:
        return None
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    return [str(item).strip() for item in items if item is not None]


_PARAMS = [
    Param("Thumbprint", as_string, position=0),
    Param("Identity", as_identity, "Microsoft.Exchange.Configuration.Tasks.ExchangeCertificateIdParameter"),
    Param("Server", as_identity, "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter"),
    Param("DomainName", _as_domains, "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.SmtpDomain]"),
]


def get_exchange_certificate(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    bound = bind(_CMDLET, _PARAMS, command)
    if "Identity" in bound and ("Server" in bound or "Thumbprint" in bound):
        raise errors.ambiguous_parameter_set(_CMDLET)  # Identity is its own parameter set
    outcome = Outcome()
    if inputs is not None and not inputs:
        return outcome
    server_text, thumbprint = bound.get("Server"), bound.get("Thumbprint")
    if bound.get("Identity"):
        # ExchangeCertificateIdParameter: "SERVER\THUMBPRINT" or a bare thumbprint.
        server_part, _, thumbprint = str(bound["Identity"]).rpartition("\\")
        server_text = server_part or None
    server = _server(ctx, server_text)
    certificates = ctx.certificates(server)
    if thumbprint:
        wanted = _unify(thumbprint)
        certificates = [c for c in certificates if c.thumbprint.upper() == wanted.upper()]
        if not certificates:
            outcome.errors.append(ctx.reporter.task_error(
                _CMDLET, "System.InvalidOperationException",
                f"A special Rpc error occurs on server {server.name}: The certificate with thumbprint {wanted} "
                "was not found.",  # GUESS: the server's text after the RPC prefix
                "ObjectNotFound"))  # GUESS: category
            return outcome
    if bound.get("DomainName"):
        # GUESS: a wildcard certificate name matches one label, as in TLS host name checks.
        certificates = [c for c in certificates if _covers_any(c, bound["DomainName"])]
    outcome.output = [c.obj for c in certificates if c.obj is not None]
    return outcome


def _server(ctx: Context, text: Optional[str]) -> Server:
    # Get-ExchangeCertificate.md, -Server: "If you don't use this parameter, the command is run on the local server."
    server = ctx.local_server if text is None else ctx.find_server(text)
    if server is None:
        raise ctx.reporter.not_found(_CMDLET, text or "localhost")  # GUESS: ErrorServerNotFound reads like this
    return server


def _unify(thumbprint: str) -> str:
    """ManageExchangeCertificate.UnifyThumbprintFormat: "AB CD EF ..." loses its spaces."""
    text = thumbprint.strip()
    return text.replace(" ", "") if len(text) > 3 and text[2] == " " else text


def _covers_any(certificate: Certificate, domains: list[str]) -> bool:
    cert = certificate_objects.x509_of(certificate.obj) if certificate.obj is not None else None
    if cert is None:
        return False
    names = [n.lower() for n in certificate_objects.certificate_domains(cert)]
    return any(_matches(name, domain.lower()) for name in names for domain in domains)


def _matches(name: str, domain: str) -> bool:
    if name.startswith("*."):
        return domain.count(".") >= 1 and domain.split(".", 1)[1] == name[2:]
    return name == domain


CMDLETS = {"get-exchangecertificate": get_exchange_certificate}
