"""``POST /adminapi/beta/<tenant>/InvokeCommand``: Exchange Online's cmdlet endpoint (EXCHANGE.md 5).

Request: bearer token, JSON ``{"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}``,
``Prefer: odata.maxpagesize=N``. Response: ``{"@odata.context", "value": [...]}`` plus
``@odata.nextLink`` while more objects remain (POST the same body there), ``@adminapi.warnings``
for warnings; cmdlet errors in the error shape of ``errors``; 401 with WWW-Authenticate for a
missing or unusable token.
"""
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .. import variants
from ..stats import Stats
from . import errors
from .access_tokens import EXCHANGE_APP_ID, AccessTokens, TokenRejected
from .cmdlets import CmdletRunner
from .faults import Faults
from .registration import Registration

JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
# GUESS: the page size when the client sends no Prefer header (the module always asks for 1000).
DEFAULT_PAGE_SIZE = 1000
NEXT_LINK_LIFETIME = 30 * 60  # EXCHANGE.md 5: links expire after 30 minutes
MAX_OPEN_PAGINGS = 1000
_MAX_PAGE_SIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)
# GUESS: the challenge Exchange Online sends with 401 (as seen on its other endpoints).
CHALLENGE = (f'Bearer client_id="{EXCHANGE_APP_ID}", trusted_issuers="00000001-0000-0000-c000-000000000000@*", '
             'token_types="app_asserted_user_v1 service_asserted_app_v1", '
             'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"')


# The answer the variant exo-rbac-403 plays: a body that is not JSON, labelled gzip but not gzip.
RBAC_403_BODY = b"\x00" * 16
_GUID_PROPERTIES = ("Guid", "ExchangeObjectId")
_DATE_PROPERTIES = ("WhenChanged", "WhenCreated", "WhenChangedUTC", "WhenCreatedUTC")


@dataclass
class Response:
    status: int
    body: Any = None  # dict -> JSON, bytes -> as is, None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # the fault plan's "reset": cut the connection instead of sending this


@dataclass
class _Paging:
    tenant: str
    remaining: list[dict]
    expires: float


class InvokeCommandService:
    def __init__(self, registration: Registration, tokens: AccessTokens, runner: CmdletRunner, stats: Stats,
                 faults: Faults):
        self._registration = registration
        self._tokens = tokens
        self._runner = runner
        self._stats = stats
        self._faults = faults
        self._pagings: dict[str, _Paging] = {}
        self._lock = threading.Lock()
        stats.declare("rest_requests")

    def handle(self, base_url: str, tenant: str, query: dict[str, str], headers: Any, body: bytes) -> Response:
        self._stats.increment("rest_requests")
        response = self._handle(base_url, tenant, query, headers, body)
        response.headers.setdefault("request-id", str(uuid.uuid4()))
        if headers.get("client-request-id"):
            response.headers["client-request-id"] = headers["client-request-id"]
        return response

    def _handle(self, base_url: str, tenant: str, query: dict[str, str], headers: Any, body: bytes) -> Response:
        fault = self._faults.take("rest", _cmdlet_name(body))
        if fault is not None and fault.kind == "expire_tokens":
            self._tokens.expire_all()
        elif fault is not None and fault.kind == "status":
            return Response(fault.status, fault.body(), fault.headers())
        refused, claims = self._authenticate(headers.get("Authorization", ""), tenant)
        refused = refused or _role_refusal(body)
        if refused is not None:
            return refused
        response = self._run(base_url, tenant, query, headers, body, claims.get("appid"))
        if fault is not None and fault.kind == "reset":
            response.reset = True
        return response

    def _run(self, base_url: str, tenant: str, query: dict[str, str], headers: Any, body: bytes,
             app_id: str) -> Response:
        page_size = _page_size(headers.get("Prefer", ""))
        context = f"{base_url}/adminapi/beta/{tenant}/$metadata#Collection(Exchange.GenericHashTable)"  # GUESS
        extra = {"Preference-Applied": f"odata.maxpagesize={page_size}"} if headers.get("Prefer") else {}
        if "$skiptoken" in query:
            objects = self._continue(query["$skiptoken"], tenant)
            if objects is None:
                # GUESS: status and wording for an expired or unknown next link.
                return Response(400, {"error": {"code": "BadRequest",
                                                "message": "The next link has expired or isn't valid."}})
            warnings: list[str] = []
        else:
            try:
                name, parameters = _cmdlet_input(body)
                result = self._runner.run(name, parameters, app_id)
            except errors.CmdletFailure as failure:
                return Response(failure.status, failure.body(), {"Content-Type": JSON_TYPE})
            objects, warnings = result.output, result.warnings
        payload: dict[str, Any] = {"@odata.context": context}
        if warnings:
            payload["@adminapi.warnings"] = warnings  # GUESS: a list of strings
        if variants.is_active("exo-response-annotations"):
            objects = [_annotated(obj) for obj in objects]
        payload["value"] = objects[:page_size]
        if len(objects) > page_size:
            token = self._open_paging(tenant, objects[page_size:])
            payload["@odata.nextLink"] = f"{base_url}/adminapi/beta/{tenant}/InvokeCommand?%24skiptoken={token}"
        return Response(200, payload, {"Content-Type": JSON_TYPE, **extra})

    def _authenticate(self, authorization: str, tenant: str) -> tuple[Response | None, dict]:
        """(None, the token's claims) for a request Exchange would serve, else (the refusal, {})."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Response(401, None, {"WWW-Authenticate": CHALLENGE}), {}
        try:
            claims = self._tokens.check(token.strip())
            if not self._registration.names_tenant(tenant):
                # GUESS: a URL naming another organisation than the token's is refused like a bad token.
                raise TokenRejected(401, f"The tenant '{tenant}' in the URL doesn't match the token.", "invalid_tenant")
        except TokenRejected as rejected:
            # GUESS: the x-ms-diagnostics code and the error parameter.
            diagnostics = f'2000003;reason="{rejected.reason}";error_category="{rejected.category}"'
            headers = {"x-ms-diagnostics": diagnostics}
            if rejected.status == 401:
                headers["WWW-Authenticate"] = f'{CHALLENGE}, error="invalid_token"'
                return Response(401, None, headers), {}
            return Response(rejected.status, {"error": {"code": "Forbidden", "message": rejected.reason}},
                            headers), {}
        return None, claims

    def _open_paging(self, tenant: str, remaining: list[dict]) -> str:
        now = time.monotonic()
        token = secrets.token_urlsafe(24)
        with self._lock:
            for key in [k for k, p in self._pagings.items() if p.expires <= now]:
                del self._pagings[key]
            if len(self._pagings) >= MAX_OPEN_PAGINGS:
                del self._pagings[next(iter(self._pagings))]  # the oldest
            self._pagings[token] = _Paging(tenant.lower(), remaining, now + NEXT_LINK_LIFETIME)
        return token

    def _continue(self, token: str, tenant: str) -> list[dict] | None:
        with self._lock:
            paging = self._pagings.pop(token, None)
        if paging is None or paging.expires <= time.monotonic() or paging.tenant != tenant.lower():
            return None
        return paging.remaining


def _role_refusal(body: bytes) -> Response | None:
    """The variants exo-rbac-403 and exo-rbac-401: the app's token is good, its Exchange role is missing."""
    if variants.is_active("exo-rbac-403"):
        return Response(403, RBAC_403_BODY, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    if variants.is_active("exo-rbac-401"):
        # The answer quoted in MicrosoftDocs/office-docs-powershell#7970 (a role without the cmdlet).
        message = f"User is not allowed to call {_cmdlet_name(body) or 'the cmdlet'}"
        return Response(401, {"error": {"code": "Unauthorized", "message": message, "innererror": {
            "message": message, "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"}}})
    return None


def _annotated(obj: dict) -> dict:
    """``obj`` with the OData annotations a real answer carries before each typed property."""
    annotated: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, list):
            annotated[f"{key}@odata.type"] = "#Collection(String)"
        elif key in _GUID_PROPERTIES:
            annotated.update({f"{key}@data.type": "System.Guid", f"{key}@odata.type": "#Guid"})
        elif key in _DATE_PROPERTIES:
            annotated[f"{key}@data.type"] = "System.DateTime"
        annotated[key] = value
    return annotated


def _page_size(prefer: str) -> int:
    match = _MAX_PAGE_SIZE.search(prefer or "")
    return max(1, int(match.group(1))) if match else DEFAULT_PAGE_SIZE


def _cmdlet_name(body: bytes) -> str | None:
    """The cmdlet a request asks for, for matching fault rules (None if the body says none)."""
    try:
        name = json.loads(body or b"{}")["CmdletInput"]["CmdletName"]
    except (ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None


def _cmdlet_input(body: bytes) -> tuple[str, Any]:
    try:
        request = json.loads(body or b"{}")
        cmdlet_input = request["CmdletInput"]
        name = cmdlet_input["CmdletName"]
    except (ValueError, KeyError, TypeError):
        # GUESS: how the endpoint refuses a body without CmdletInput.CmdletName.
        raise errors.CmdletFailure(400, "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                                   "The request body must contain CmdletInput with a CmdletName.") from None
    if not isinstance(name, str) or not name:
        raise errors.unknown_cmdlet(str(name))
    return name, cmdlet_input.get("Parameters")
