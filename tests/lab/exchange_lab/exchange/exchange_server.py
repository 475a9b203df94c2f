"""Get-ExchangeServer: the organisation's Exchange servers, in the shape of the captured one.

The capture (data/E19-GetExchangeServer.xml: HealthChecker's ``Get-ExchangeServer -Identity $Server
-Status`` of SOLO-E19A in the Solo.com forest, organisation SoloORG) was taken on another machine than
the receive connectors (WIN-CTD3L0RGEN4 in exlab.dom). The lab has one ExchangeServer per server its
receive connectors live on (``Context.servers``, so ``--server-name`` and extra seeds follow): the captured
object with the captured machine's names (server name, FQDN, distinguished name, organisation, forest,
domain controller) replaced by that server's, as its connectors name them. Kept as captured: GUIDs,
build, roles, edition, site name, dates, and the SerializationData blobs (the lab never reads them).

Get-ExchangeServer.md:
- ``-Identity`` (position 1, pipeline input, "Accept wildcard characters: False"): "any value that
  uniquely identifies the Exchange server. For example: Name, GUID, Distinguished name (DN),
  ExchangeLegacyDN". It is a ServerIdParameter, which Get-ReceiveConnector.md (-Server) says also takes
  the FQDN: the lab takes all five.
- "When you run the Get-ExchangeServer cmdlet with no parameters, it returns the attributes of all the
  servers in the Exchange organization."
- "You can't use this parameter with the Domain parameter": ``-Domain`` (mandatory in its own parameter
  set) "filters the results by the fully qualified domain name (FQDN) of the domain".
- ``-Status`` "include[s] additional property values in the results, for example, the Watson state,
  StaticDomainControllers, and runtime domain controller usage".
- (Caution) "The value $null or a non-existent value for the Identity parameter returns *all* objects as
  if you ran the Get- command without the Identity parameter." $null does here; a non-existent value is
  the error every Get- task writes by default, and all servers under the variant identity-miss-returns-all.
"""
import functools
from typing import Any, Optional

from psrpcore.types import PSObject

from exchange_lab import variants
from exchange_lab.exchange import errors, shapes
from exchange_lab.exchange.api import Command
from exchange_lab.exchange.binding import Param, as_identity, as_string, bind, name_pattern, switch
from exchange_lab.exchange.context import Context, Outcome, Server
from exchange_lab.exchange.server_name import rename_text
from exchange_lab.exchange.store import DATA_DIR, load_clixml_text

_CMDLET = "Get-ExchangeServer"
CAPTURE = DATA_DIR / "E19-GetExchangeServer.xml"
_IDENTITY = Param("Identity", as_identity, "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter", position=0)
_DOMAIN = Param("Domain", as_string, "Microsoft.Exchange.Data.Fqdn", refuses_empty=True)  # mandatory in its set
_STATUS = switch("Status")

# The names of the captured machine, as the capture spells them.
_CAPTURED_DN = ("CN=SOLO-E19A,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,"
                "CN=SoloORG,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=Solo,DC=com")
_CAPTURED_ORGANIZATION = "SoloORG"
_CAPTURED_FOREST_DN = "DC=Solo,DC=com"
_CAPTURED_DOMAIN_CONTROLLER = "Solo-DC1.Solo.com"
_CAPTURED_FQDN = "Solo-E19A.Solo.com"
_CAPTURED_NAME = "SOLO-E19A"
_CAPTURED_DOMAIN = "Solo.com"

# GUESS: which properties -Status fills ("the Watson state, StaticDomainControllers, and runtime domain
# controller usage"); without it they are $null.
STATUS_PROPERTIES = ("ErrorReportingEnabled", "StaticDomainControllers", "StaticGlobalCatalogs",
                     "StaticConfigDomainController", "StaticExcludedDomainControllers", "CurrentDomainControllers",
                     "CurrentGlobalCatalogs", "CurrentConfigDomainController")


def get_exchange_server(ctx: Context, command: Command, inputs: Optional[list[Any]]) -> Outcome:
    bound = bind(_CMDLET, [_IDENTITY, _DOMAIN, _STATUS], command)
    if "Identity" in bound and "Domain" in bound:
        raise errors.ambiguous_parameter_set(_CMDLET)  # Identity and Domain are different parameter sets
    outcome = Outcome()
    if inputs is not None and not inputs:
        return outcome  # downstream in a pipeline that delivered nothing: never processes a record
    servers = exchange_servers(ctx, with_status=bool(bound.get("Status")))
    if "Domain" in bound:
        wanted = bound["Domain"].strip().rstrip(".").lower()
        outcome.output = [obj for obj in servers if _text(obj, "Domain").lower() == wanted]
        return outcome
    for identity in _identities(bound, inputs):
        if identity is None:
            outcome.output.extend(servers)  # no -Identity, or -Identity $null: every server
            continue
        matches = [obj for obj in servers if _identified_by(obj, identity)]
        if not matches and variants.is_active("identity-miss-returns-all"):
            # Get-ExchangeServer.md (Caution): "a non-existent value for the Identity parameter returns *all*
            # objects as if you ran the Get- command without the Identity parameter".
            matches = servers
        # GUESS: a wildcard that matches nothing is no error (as the lab's other Get- cmdlets).
        elif not matches and not ("*" in identity and not variants.is_active("literal-identities")):
            outcome.errors.append(ctx.reporter.not_found(_CMDLET, identity))
        outcome.output.extend(matches)
    return outcome


def _identities(bound: dict[str, Any], inputs: Optional[list[Any]]) -> list[Optional[str]]:
    if "Identity" in bound:
        return [bound["Identity"]]
    if inputs is None:
        return [None]
    return [as_identity(item) for item in inputs]


def _identified_by(server: PSObject, identity: str) -> bool:
    """ServerIdParameter: name (with the lab's wildcard reading), FQDN, GUID, DN or ExchangeLegacyDN."""
    text = identity.strip()
    exact = {_text(server, key).lower() for key in ("Fqdn", "Guid", "DistinguishedName", "ExchangeLegacyDN")}
    return text.lower() in exact or bool(name_pattern(text).match(_text(server, "Name")))


def _text(obj: PSObject, name: str) -> str:
    return shapes.plain_text(shapes.property_value(obj, name))


def exchange_servers(ctx: Context, with_status: bool) -> list[PSObject]:
    """One ExchangeServer per server of the organisation (never changed: no cmdlet writes them)."""
    return [_exchange_server(server, ctx.reporter.domain_controller, with_status) for server in ctx.servers]


@functools.lru_cache(maxsize=64)  # parsing the capture takes longer than a whole Get-ReceiveConnector
def _exchange_server(server: Server, domain_controller: str, with_status: bool) -> PSObject:
    (obj,) = load_clixml_text(placed(CAPTURE.read_text(encoding="utf-8-sig"), server, domain_controller))
    if not with_status:
        for name in STATUS_PROPERTIES:
            shapes.set_property(obj, name, None)
    return obj


def placed(capture: str, server: Server, domain_controller: str) -> str:
    """The capture's text with the captured machine's names replaced by ``server``'s (longest first)."""
    organization = _organization(server.distinguished_name)
    forest_dn = ",".join(f"DC={label}" for label in server.domain_id.split("."))
    text = capture
    for old, new in ((_CAPTURED_DN, server.distinguished_name), (_CAPTURED_ORGANIZATION, organization),
                     (_CAPTURED_FOREST_DN, forest_dn), (_CAPTURED_DOMAIN_CONTROLLER, domain_controller),
                     (_CAPTURED_FQDN, server.fqdn), (_CAPTURED_NAME, server.name),
                     (_CAPTURED_DOMAIN, server.domain_id)):
        text = rename_text(text, old, new)
    return text


def _organization(server_dn: str) -> str:
    """The organisation's name in a server's DN: CN=<server>,CN=Servers,CN=<group>,CN=Administrative
    Groups,CN=<organisation>,CN=Microsoft Exchange,..."""
    parts = [part.split("=", 1)[1] for part in server_dn.split(",")]
    return parts[parts.index("Microsoft Exchange") - 1]


CMDLETS = {"get-exchangeserver": get_exchange_server}
