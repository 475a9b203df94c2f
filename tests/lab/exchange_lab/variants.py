"""Lab variants: behaviours Microsoft's docs leave open, played on request.

The lab's default is the most likely reading of the docs. Where the docs are doubtful or
contradict themselves, each other reading is a variant here, switched on with
``exchange-lab serve --variant NAME`` (or ``--variant NAME=VALUE`` for those that take a
value), so the collection can be proven safe under every reading. tests/lab/README.md
("Variants") cites the source of each.

Lab code asks ``variants.is_active(NAME)`` / ``variants.value(NAME)``; the active ones are
process-wide (one lab per process) and listed in lab.json under ``variants``. Tests of the
model switch them on for a block with ``variants.playing({NAME: VALUE})``.

To add one: an entry in ``VARIANTS`` (name, what it changes, the documentary source, and
``parse`` if it takes a value), then ask ``is_active`` where the behaviour differs.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    source: str
    # Turns the text after ``=`` into the value; None: the variant takes no value.
    parse: Optional[Callable[[str], Any]] = None


def seconds(text: str) -> float:
    """A value parser: seconds from 0 to 600."""
    value = float(text)
    if not 0 <= value <= 600:
        raise ValueError(f"expected seconds between 0 and 600, got {text}")
    return value


VARIANTS: dict[str, Variant] = {
    variant.name: variant for variant in (
        Variant("identity-miss-returns-all",
                "Get-ReceiveConnector, Get-ADPermission and Get-ExchangeServer (and Get-InboundConnector) given an "
                "-Identity that matches nothing return every object instead of an error",
                "Get-ReceiveConnector.md, Get-ADPermission.md, Get-ExchangeServer.md (Caution): \"$null or a "
                "non-existent value for the Identity parameter returns *all* objects\""),
        Variant("literal-identities",
                "identities are never read as wildcards: * ? [ ] match only themselves",
                "Get-ReceiveConnector.md, Set-ReceiveConnector.md, Remove-ReceiveConnector.md, Get-ADPermission.md, "
                "Get-ExchangeServer.md (-Identity: \"Accept wildcard characters: False\")"),
        Variant("usage-forbids-parameters",
                "New-ReceiveConnector refuses -Bindings with the Client or Internal usage type and -RemoteIPRanges "
                "with Internet (the default accepts them, as the syntax blocks list them as optional)",
                "New-ReceiveConnector.md, -Bindings: \"You can't use this parameter when you use the following usage "
                "type parameters: The Client switch ... The Internal switch\"; -RemoteIPRanges: \"You can't use this "
                "parameter with the Internet usage type\""),
        Variant("max-header-size-exact",
                "MaxHeaderSize under 1 KB is stored as given (the default rounds it up to 1024 bytes)",
                "New-/Set-ReceiveConnector.md, -MaxHeaderSize: \"Unqualified values are typically treated as bytes, "
                "but small values might be rounded up to the nearest kilobyte\""),
        Variant("exo-error-details-json",
                "Exchange Online error answers carry details[].message as a JSON object instead of "
                "<id>|<ExceptionType>|<text>",
                "public clients of InvokeCommand parse both forms (reported alongside the issue's evidence); "
                "the JSON keys are a GUESS"),
        Variant("exo-rbac-403",
                "every InvokeCommand request with a valid token is answered HTTP 403 with a body that is not "
                "JSON: NUL bytes labelled Content-Encoding: gzip (the app lacks an Exchange role)",
                "reported by public clients of InvokeCommand (a 403 whose body fails gzip decoding)"),
        Variant("exo-rbac-401",
                "every InvokeCommand request with a valid token is answered HTTP 401 {\"error\": {\"code\": "
                "\"Unauthorized\", \"message\": \"User is not allowed to call <cmdlet>\"}} (a role assignment "
                "missing)",
                "MicrosoftDocs/office-docs-powershell#7970 and #8058 (the answer quoted from ExchangeOnlineManagement)"),
        Variant("exo-replication-lag",
                "Get-InboundConnector shows the connectors as they were SECONDS ago: after New-/Set-/Remove- a "
                "read misses the change for that long (writes and New-'s duplicate check see the real state)",
                "replication delays of Exchange Online's directory, as public clients work around with re-reads; "
                "the delay is a GUESS", seconds),
        Variant("exo-response-annotations",
                "every object in an InvokeCommand answer carries OData annotations next to its properties: "
                "X@odata.type (#Collection(String), #Guid) and X@data.type (System.DateTime, System.Guid)",
                "a real Get-Mailbox answer over InvokeCommand quoted by a public client "
                "(\"Guid@data.type\":\"System.Guid\",\"Guid@odata.type\":\"#Guid\", "
                "\"ObjectClass@odata.type\":\"#Collection(String)\", \"WhenChanged@data.type\":\"System.DateTime\")"),
    )
}

_active: dict[str, Any] = {}


def parse(text: str) -> tuple[str, Any]:
    """``NAME`` or ``NAME=VALUE`` -> (name, value); ValueError naming the known variants."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    variant = VARIANTS.get(name)
    if variant is None:
        raise ValueError(f"unknown variant {name!r}; known variants: {', '.join(sorted(VARIANTS))}")
    if variant.parse is None:
        if sep:
            raise ValueError(f"variant {name!r} takes no value")
        return name, True
    if not sep:
        raise ValueError(f"variant {name!r} needs a value: {name}=VALUE")
    try:
        return name, variant.parse(raw.strip())
    except ValueError as exc:
        raise ValueError(f"variant {name!r}: {exc}") from None


def activate(chosen: dict[str, Any]) -> None:
    """Make exactly these variants (name -> value) the active ones."""
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown:
        raise ValueError(f"unknown variants {unknown}; known variants: {', '.join(sorted(VARIANTS))}")
    _active.clear()
    _active.update(chosen)


def is_active(name: str) -> bool:
    _known(name)
    return name in _active


def value(name: str, default: Any = None) -> Any:
    """The value of an active variant (True for one without a value), else ``default``."""
    _known(name)
    return _active.get(name, default)


def active() -> dict[str, Any]:
    """The active variants, for lab.json."""
    return dict(_active)


@contextlib.contextmanager
def playing(chosen: dict[str, Any]) -> Iterator[None]:
    """Activate ``chosen`` for a block (tests of the in-process model), then restore."""
    before = active()
    activate(chosen)
    try:
        yield
    finally:
        activate(before)


def _known(name: str) -> None:
    # A typo in lab code must not silently read as "variant off".
    if name not in VARIANTS:
        raise KeyError(f"unknown variant {name!r}")
