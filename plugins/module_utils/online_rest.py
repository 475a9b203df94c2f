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
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

from ansible_collections.mailflow.exchange.plugins.module_utils import online, online_auth
from ansible_collections.mailflow.exchange.plugins.module_utils.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeOutcomeUnknown,
    tls_failure_message,
)
from ansible_collections.mailflow.exchange.plugins.module_utils.outcome import applied_writes
from ansible_collections.mailflow.exchange.plugins.module_utils.retry import is_read

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

# Status codes meaning "nothing was done, try later": safe to repeat any cmdlet.
REFUSED_STATUSES = (429, 503)
# Also transient, but a write may have happened behind a gateway timeout: reads only.
TRANSIENT_READ_STATUSES = (504,)

# Our own category names for the exception types Exchange Online reports
# (REST errors carry no ErrorCategory, unlike PSRP error records).
_CATEGORY_BY_EXCEPTION = (
    ("ManagementObjectNotFoundException", "ObjectNotFound"),
    ("ManagementObjectAlreadyExistsException", "ResourceExists"),
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
    if value.isdigit():
        return float(value)
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
    """ExchangeError from an error answer: details[0].message is ``<id>|<ExceptionType>|<text>``."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ExchangeError("HTTP %d: %s" % (status, _excerpt(body)), cmdlet=cmdlet)
    details = error.get("details") or []
    detail = details[0].get("message") if details and isinstance(details[0], dict) else None
    if detail:
        return error_from_message(detail, cmdlet)
    return ExchangeError(error.get("message") or error.get("code") or "HTTP %d" % status,
                         cmdlet=cmdlet, error_id=error.get("code"))


def error_from_message(message, cmdlet):
    """ExchangeError from one ``<id>|<ExceptionType>|<text>`` string (other strings are the text)."""
    parts = message.split("|", 2)
    if len(parts) != 3:
        return ExchangeError(message, cmdlet=cmdlet)
    error_id, exception_type, text = (part.strip() for part in parts)
    category = next((name for marker, name in _CATEGORY_BY_EXCEPTION if exception_type.endswith(marker)),
                    "NotSpecified")
    return ExchangeError(text, cmdlet=cmdlet, category=category, error_id=error_id or None,
                         exception_type=exception_type or None)


def _excerpt(body, limit=300):
    text = body if isinstance(body, str) else json.dumps(body)
    return text[:limit]


def _never_sent(err):
    """A connect timeout or refused connection: the request never reached the server."""
    return isinstance(err, requests.exceptions.ConnectTimeout) or "NewConnectionError" in str(err)


def _decode(response):
    try:
        return response.json()
    except ValueError:
        return response.text


class OnlineClient:
    """Cmdlets on one tenant's Exchange Online, one token per run.

    ``warn`` (e.g. ``module.warn``) receives each warning Exchange returns; they
    are also kept in ``warnings``.
    """

    def __init__(self, params, warn=None):
        self._params = params
        self._endpoints = online.endpoints(params)
        self._warn = warn
        self._session = None
        self._tokens = None
        self.warnings = []
        # The writes Exchange Online confirmed, for failure results (see module_utils/outcome.py).
        self.applied = []
        self.url = "%s/adminapi/beta/%s/InvokeCommand" % (
            self._endpoints.exchange_base, quote(params["tenant"], safe=""))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
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
        objects, url = [], self.url
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
            if not url.startswith(self._endpoints.exchange_base + "/"):
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
            "Authorization": "Bearer %s" % self._tokens.token(),
            "X-AnchorMailbox": ANCHOR_MAILBOX % self._params["tenant"],
            "Prefer": "odata.maxpagesize=%d" % PAGE_SIZE,
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "X-CmdletName": cmdlet,
            "X-ResponseFormat": "json",
            "client-request-id": request_id,
        }

    def _post(self, url, body, cmdlet, request_id):
        """One page, retried while Exchange says it did nothing (bounded).

        A 401 gets one new token and one more try: the token expired or was revoked during the
        run, and a refused request ran nothing, so even a write may be sent again.
        """
        waited, attempt, token_renewed = 0.0, 0, False
        while True:
            attempt += 1
            try:
                response = self._session.post(url, headers=self._headers(cmdlet, request_id), json=body)
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
                page = _decode(response)
                if not isinstance(page, dict):
                    raise ExchangeError("unexpected answer: %s" % _excerpt(page), cmdlet=cmdlet)
                return page
            decoded = _decode(response)
            if response.status_code == 401 and not token_renewed:
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
        if status == 401:
            return ExchangeConnectionError(
                "Exchange Online refused the token of client_id %s: the app needs the application "
                "permission Exchange.ManageAsApp (Office 365 Exchange Online) with admin consent, in "
                "tenant %s (%s)" % (self._params["client_id"], self._params["tenant"], error.message),
                cmdlet=cmdlet)
        if status == 403:
            return ExchangeConnectionError(
                "Exchange Online denied %s to client_id %s: assign the app's service principal the "
                "Exchange Administrator role (or a role group with this cmdlet) (%s)"
                % (cmdlet, self._params["client_id"], error.message), cmdlet=cmdlet)
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
