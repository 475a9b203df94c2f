# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange Online cmdlets over the REST endpoint the ExchangeOnlineManagement module uses.

``POST <exchange>/adminapi/beta/<tenant>/InvokeCommand`` with
``{"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}``; answers are
OData pages of plain JSON objects. Unofficial but the only endpoint that serves
connector cmdlets since remote PowerShell was retired.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit


from ansible_collections.mailflow.exchange.plugins.module_utils._online import auth as online_auth
from ansible_collections.mailflow.exchange.plugins.module_utils._online.clouds import endpoints
from ansible_collections.mailflow.exchange.plugins.module_utils._common.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeOutcomeUnknown,
    tls_failure_message,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._common.outcome import applied_writes
from ansible_collections.mailflow.exchange.plugins.module_utils._common.retry import is_read

try:
    import requests
except ImportError:
    pass  # check_online_options reports the missing library before any client is built

# The app-only anchor mailbox the ExchangeOnlineManagement module routes by.
ANCHOR_MAILBOX = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@%s"
PAGE_SIZE = 1000
MAX_PAGES = 200
MAX_ATTEMPTS = 4
MAX_TOTAL_WAIT = 60.0
MAX_SINGLE_WAIT = 30.0
CONCURRENCY_TEXT = "maximum number of concurrent requests"
# The initial domains of tenants per cloud (worldwide, US government, 21Vianet).
ONMICROSOFT_SUFFIXES = (".onmicrosoft.com", ".onmicrosoft.us", ".partner.onmschina.cn")

# Status codes meaning "nothing was done, try later": safe to repeat any cmdlet.
REFUSED_STATUSES = (429, 503)
# Also transient, but a write may have happened behind a gateway timeout: reads only.
TRANSIENT_READ_STATUSES = (504,)

# Our own category names for the exception types Exchange Online reports
# (REST errors carry no ErrorCategory, unlike PSRP error records).
_CATEGORY_BY_EXCEPTION = (
    ("ManagementObjectNotFoundException", "ObjectNotFound"),
    ("ManagementObjectAlreadyExistsException", "ResourceExists"),
    ("ADObjectAlreadyExistsException", "ResourceExists"),
    ("ManagementObjectAmbiguousException", "InvalidArgument"),
    ("ParameterBindingException", "InvalidArgument"),
    ("DataValidationException", "InvalidData"),
    ("ArgumentException", "InvalidArgument"),
)


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    # RFC 9110 says whole seconds, but public clients of this endpoint see decimals ("2.5"): take both.
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def retry_delay(attempt, retry_after, waited):
    """Seconds to sleep before try ``attempt + 1``, or None to give up.

    ``attempt`` counts from 1; ``retry_after`` is the parsed header (None: back off
    2, 4, 8 s); ``waited`` is the time already slept for this cmdlet.
    """
    if attempt >= MAX_ATTEMPTS:
        return None
    delay = retry_after if retry_after is not None else float(2 ** attempt)
    delay = max(1.0, delay)
    if delay > MAX_SINGLE_WAIT or waited + delay > MAX_TOTAL_WAIT:
        return None
    return delay


def error_from_body(status, body, cmdlet):
    """ExchangeError from an error answer.

    ``details[0].message`` is ``<id>|<ExceptionType>|<text>``, or a JSON object in some answers (reported by
    public clients of the endpoint); both are read. HTTP 404 is "not found" whatever the body says.
    """
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return _with_status(ExchangeError("HTTP %d: %s" % (status, _excerpt(body)), cmdlet=cmdlet), status)
    details = error.get("details") or []
    detail = details[0].get("message") if details and isinstance(details[0], dict) else None
    if detail:
        return _with_status(error_from_message(detail, cmdlet), status)
    return _with_status(ExchangeError(error.get("message") or error.get("code") or "HTTP %d" % status,
                                      cmdlet=cmdlet, error_id=error.get("code")), status)


def _with_status(err, status):
    # The endpoint answers a missing object with 404 (EXCHANGE.md 5; public clients stop retrying on it).
    if status == 404 and not err.not_found:
        err.category = "ObjectNotFound"
        err.exception_type = err.exception_type or NOT_FOUND_EXCEPTION
    return err


NOT_FOUND_EXCEPTION = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"

# GUESS: the keys of a details message given as JSON (its shape is not public); the first found wins.
_JSON_TEXT_KEYS = ("message", "Message", "text", "Text")
_JSON_TYPE_KEYS = ("exceptionType", "ExceptionType", "type", "Type", "exceptionName")
_JSON_ID_KEYS = ("errorId", "ErrorId", "id", "Id", "code", "Code")


def error_from_message(message, cmdlet):
    """ExchangeError from one ``<id>|<ExceptionType>|<text>`` string, or its JSON form (other strings are the
    text)."""
    parsed = _json_object(message)
    if parsed is not None:
        return _error_from_parts(_first(parsed, _JSON_ID_KEYS), _first(parsed, _JSON_TYPE_KEYS),
                                 _first(parsed, _JSON_TEXT_KEYS) or message, cmdlet)
    parts = message.split("|", 2)
    if len(parts) != 3:
        return ExchangeError(message, cmdlet=cmdlet)
    return _error_from_parts(*(part.strip() for part in parts), cmdlet=cmdlet)


def _error_from_parts(error_id, exception_type, text, cmdlet):
    exception_type = exception_type or ""
    category = next((name for marker, name in _CATEGORY_BY_EXCEPTION if exception_type.endswith(marker)),
                    "NotSpecified")
    return ExchangeError(text, cmdlet=cmdlet, category=category, error_id=error_id or None,
                         exception_type=exception_type or None)


def _json_object(text):
    if not isinstance(text, str) or not text.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _first(mapping, keys):
    value = next((mapping[key] for key in keys if mapping.get(key)), None)
    return None if value is None else str(value).strip()


def _excerpt(body, limit=300):
    if body is None:
        return "(no readable body)"
    text = body if isinstance(body, str) else json.dumps(body)
    return text[:limit]


def _never_sent(err):
    """A connect timeout or refused connection: the request never reached the server."""
    return isinstance(err, requests.exceptions.ConnectTimeout) or "NewConnectionError" in str(err)


def _decode(response):
    """The answer's JSON, else its text, else None when the body cannot even be decompressed (public clients
    report 403 answers whose body is NUL bytes labelled gzip)."""
    try:
        content = response.content
    except requests.exceptions.ContentDecodingError:
        return None
    finally:
        response.close()
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace").strip("\x00").strip() or None


def on_endpoint(url, base):
    """Whether ``url`` (a next page link) is on the Exchange endpoint ``base``: same scheme, host and port.

    Compared as parts, not as text: exchange_url may spell the host in capitals, with a trailing dot or with
    port 443, and Exchange's links do not.
    """
    try:
        link, own = urlsplit(url), urlsplit(base)
        ports = (link.port or 443, own.port or 443)
    except ValueError:
        return False
    hosts = [(parts.hostname or "").rstrip(".") for parts in (link, own)]
    return (link.scheme == own.scheme == "https" and "@" not in link.netloc and hosts[0] == hosts[1]
            and bool(hosts[0]) and ports[0] == ports[1])


def _is_not_allowed_to_call(decoded):
    # 401 {"error": {"code": "Unauthorized", "message": "User is not allowed to call Get-Mailbox"}}: the app's
    # token is fine, its Exchange role does not hold the cmdlet (MicrosoftDocs/office-docs-powershell#7970).
    return "is not allowed to call" in _excerpt(decoded, 2000)


class OnlineClient:
    """Cmdlets on one tenant's Exchange Online, one token per run.

    ``warn`` (e.g. ``module.warn``) receives each warning Exchange returns; they
    are also kept in ``warnings``.
    """

    def __init__(self, params, warn=None):
        self._params = params
        self._endpoints = endpoints(params)
        self._warn = warn
        self._session = None
        self._tokens = None
        self._tenant_id = None
        self.warnings = []
        # The writes Exchange Online confirmed, for failure results (see module_utils/_common/outcome.py).
        self.applied = []
        # The tenant in the URL: a vanity domain may be refused, so the tenant GUID from the token (tid)
        # replaces it once a token is there (public clients use the GUID or the onmicrosoft.com name).
        self.url = self._invoke_url(params["tenant"])

    def _invoke_url(self, tenant):
        return "%s/adminapi/beta/%s/InvokeCommand" % (self._endpoints.exchange_base, quote(tenant, safe=""))

    def _token(self):
        """A token; the first one also fixes the tenant of the URL and of the anchor mailbox."""
        token = self._tokens.token()
        if self._tenant_id is None:
            self._tenant_id = online_auth.token_tenant(token) or self._params["tenant"]
            self.url = self._invoke_url(self._tenant_id)
        return token

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close_after_failure(self):
        """close() for a client whose call broke off: the service holds nothing of it to release."""
        self.close()

    def close(self):
        if self._session is not None:
            self._session.close()
            self._session = None
            self._tokens = None

    def _connect(self):
        p = self._params
        self._session = online_auth.http_session(p["validate_certs"], p["ca_path"], p["timeout"])
        self._tokens = online_auth.TokenProvider(
            p["client_id"], self._endpoints.authority, self._endpoints.scope,
            online_auth.load_credential(p), self._session, self._endpoints.custom_authority)

    def invoke(self, cmdlet, parameters=None):
        """Run one cmdlet; return its output objects (all pages)."""
        if self._session is None:
            self._connect()
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}}
        request_id = str(uuid.uuid4())
        objects, url = [], None
        for dummy_page in range(MAX_PAGES):
            page = self._post(url, body, cmdlet, request_id)
            self._collect_warnings(page)
            self._raise_non_terminating(page, cmdlet)
            objects.extend(page.get("value") or [])
            url = page.get("@odata.nextLink")
            if not url:
                self.applied.extend(applied_writes([(cmdlet, parameters or {})]))
                return objects
            # The bearer token must only ever go to the Exchange endpoint.
            if not on_endpoint(url, self._endpoints.exchange_base):
                raise ExchangeError("refusing to follow a next page link to another host: %s" % url,
                                    cmdlet=cmdlet)
        raise ExchangeError("more than %d pages of %d objects: narrow the query" % (MAX_PAGES, PAGE_SIZE),
                            cmdlet=cmdlet)

    def invoke_pipeline(self, commands):
        """``[(cmdlet, parameters)]``, for callers written for both clients: the REST endpoint runs
        one cmdlet per request, so a pipeline of several is refused."""
        if len(commands) != 1:
            raise ExchangeError("Exchange Online's REST endpoint runs one cmdlet per request, not a pipeline "
                                "of %d" % len(commands), cmdlet=commands[-1][0] if commands else None)
        cmdlet, parameters = commands[0]
        return self.invoke(cmdlet, parameters)

    def _headers(self, cmdlet, request_id):
        return {
            "Authorization": "Bearer %s" % self._token(),
            "X-AnchorMailbox": ANCHOR_MAILBOX % self._anchor_tenant(),
            "Prefer": "odata.maxpagesize=%d" % PAGE_SIZE,
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "X-CmdletName": cmdlet,
            "X-ResponseFormat": "json",
            "client-request-id": request_id,
        }

    def _anchor_tenant(self):
        # Public clients anchor on the onmicrosoft.com name or the tenant GUID, not on a vanity domain.
        tenant = self._params["tenant"]
        return tenant if tenant.lower().endswith(ONMICROSOFT_SUFFIXES) else self._tenant_id or tenant

    def _post(self, url, body, cmdlet, request_id):
        """One page, retried while Exchange says it did nothing (bounded).

        A 401 gets one new token and one more try: the token expired or was revoked during the
        run, and a refused request ran nothing, so even a write may be sent again.
        """
        waited, attempt, token_renewed = 0.0, 0, False
        while True:
            attempt += 1
            try:
                headers = self._headers(cmdlet, request_id)
                # Streamed, so that a body that cannot be decompressed still leaves the status readable.
                response = self._session.post(url or self.url, headers=headers, json=body, stream=True)
                decoded = _decode(response)
            except requests.exceptions.SSLError as err:
                raise ExchangeConnectionError(tls_failure_message(self._endpoints.exchange_base, err)) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as err:
                delay = retry_delay(attempt, None, waited) if is_read(cmdlet) else None
                if delay is None and not is_read(cmdlet) and not _never_sent(err):
                    raise ExchangeOutcomeUnknown(
                        "the connection to %s failed while %s was under way, so whether Exchange Online "
                        "applied it is unknown (it is not sent again): %s"
                        % (self._endpoints.exchange_base, cmdlet, err), cmdlet=cmdlet) from None
                if delay is None:
                    raise ExchangeConnectionError("cannot reach %s (check cloud or exchange_url): %s"
                                                  % (self._endpoints.exchange_base, err)) from None
                time.sleep(delay)
                waited += delay
                continue
            if response.status_code == 200:
                if not isinstance(decoded, dict):
                    raise ExchangeError("unexpected answer: %s" % _excerpt(decoded), cmdlet=cmdlet)
                return decoded
            if response.status_code == 401 and not token_renewed and not _is_not_allowed_to_call(decoded):
                token_renewed = True
                self._tokens.invalidate()
                continue
            if response.status_code in TRANSIENT_READ_STATUSES and not is_read(cmdlet):
                raise ExchangeOutcomeUnknown(
                    "Exchange Online answered HTTP %d while %s was under way, so whether it applied it is "
                    "unknown (it is not sent again): %s" % (response.status_code, cmdlet, _excerpt(decoded)),
                    cmdlet=cmdlet)
            if self._retryable(response.status_code, decoded, cmdlet):
                delay = retry_delay(attempt, parse_retry_after(response.headers.get("Retry-After")), waited)
                if delay is not None:
                    time.sleep(delay)
                    waited += delay
                    continue
                raise ExchangeError("Exchange Online is throttling or busy (HTTP %d) after %d tries and "
                                    "%.0f s of waiting: %s" % (response.status_code, attempt, waited,
                                                               _excerpt(decoded)), cmdlet=cmdlet)
            raise self._error(response.status_code, decoded, cmdlet)

    @staticmethod
    def _retryable(status, decoded, cmdlet):
        if status in REFUSED_STATUSES or CONCURRENCY_TEXT in _excerpt(decoded, 2000).lower():
            return True
        return status in TRANSIENT_READ_STATUSES and is_read(cmdlet)

    def _error(self, status, decoded, cmdlet):
        error = error_from_body(status, decoded, cmdlet)
        if status == 401 and _is_not_allowed_to_call(decoded):
            return ExchangeConnectionError(
                "Exchange Online does not let client_id %s run %s: the app's service principal has no Exchange "
                "role assignment (RBAC) that holds this cmdlet. Assign it the Exchange Administrator role or a "
                "role group with the cmdlet in tenant %s (%s)" % (self._params["client_id"], cmdlet,
                                                                  self._params["tenant"], error.message),
                cmdlet=cmdlet)
        if status == 401:
            return ExchangeConnectionError(
                "Exchange Online refused the token of client_id %s: the app needs the application "
                "permission Exchange.ManageAsApp (Office 365 Exchange Online) with admin consent, in "
                "tenant %s (%s)" % (self._params["client_id"], self._params["tenant"], error.message),
                cmdlet=cmdlet)
        if status == 403:
            return ExchangeConnectionError(
                "Exchange Online denied %s to client_id %s (HTTP 403): the app's service principal lacks the "
                "Exchange role (RBAC) for it. Assign it the Exchange Administrator role, or a role group that "
                "holds the cmdlet, in tenant %s (%s)"
                % (cmdlet, self._params["client_id"], self._params["tenant"], error.message), cmdlet=cmdlet)
        return error

    def _collect_warnings(self, page):
        for warning in page.get("@adminapi.warnings") or []:
            text = str(warning)
            self.warnings.append(text)
            if self._warn:
                self._warn(text)

    @staticmethod
    def _raise_non_terminating(page, cmdlet):
        # Like the on-premises client, any error record fails the cmdlet.
        # GUESS: entries are strings in the details format, or objects with a message.
        errors = page.get("@adminapi.errors") or []
        if errors:
            first = errors[0]
            message = (first.get("message") or first.get("Message")) if isinstance(first, dict) else first
            raise error_from_message(str(message or first), cmdlet)
