# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft's national clouds: their login and Exchange hosts, and the URLs a task may send tokens to."""

from __future__ import annotations

import re
from collections import namedtuple
from urllib.parse import urlsplit

Cloud = namedtuple("Cloud", "login_host exchange_host other_login_hosts other_exchange_hosts")

# Hosts per national cloud. The first login and Exchange host of each are the defaults; the others are
# Microsoft's too and accepted as overrides.
# - Exchange hosts: "Get started with the Exchange Online Admin API" (learn.microsoft.com/exchange/reference/
#   admin-api-get-started, "Supported environments and base URLs"): outlook.office365.com (worldwide and
#   GCC), outlook.office365.us (GCC High), outlook-dod.office365.us (DoD), outlook.office365.cn (21Vianet).
#   Connect-ExchangeOnline.md (ConnectionUri), for the PowerShell endpoint whose InvokeCommand the modules
#   call: partner.outlook.cn (21Vianet), webmail.apps.mil (DoD).
# - Login hosts: Connect-ExchangeOnline.md (AzureADAuthorizationEndpointUri): login.microsoftonline.com,
#   login.microsoftonline.us (GCC High and DoD); app-only-auth-powershell-v2.md: login.chinacloudapi.cn
#   (21Vianet). login.partner.microsoftonline.cn is the 21Vianet login host public clients use
#   (e.g. scripts mapping login.partner.microsoftonline.cn to the scope https://partner.outlook.cn/.default).
# The token's audience is the default Exchange host: public clients request
# https://outlook-dod.office365.us/.default for DoD and https://outlook.office365.us/.default for GCC High.
CLOUDS = {
    "commercial": Cloud("login.microsoftonline.com", "outlook.office365.com", (), ()),
    "gcc_high": Cloud("login.microsoftonline.us", "outlook.office365.us", (), ()),
    "dod": Cloud("login.microsoftonline.us", "outlook-dod.office365.us", (), ("webmail.apps.mil",)),
    "china": Cloud("login.chinacloudapi.cn", "partner.outlook.cn", ("login.partner.microsoftonline.cn",),
                   ("outlook.office365.cn",)),
}

_NOT_IN_BASE_URL = re.compile(r"[\s?#]")

Endpoints = namedtuple("Endpoints", "authority exchange_base scope custom_authority")


# The option and which hosts of the cloud it may name without allow_custom_endpoints.
URL_OPTIONS = ("authority_url", "exchange_url")


def cloud_hosts(cloud_name, option):
    """Microsoft's hosts of ``cloud_name`` for ``option`` (authority_url or exchange_url)."""
    cloud = CLOUDS[cloud_name]
    if option == "authority_url":
        return (cloud.login_host,) + cloud.other_login_hosts
    return (cloud.exchange_host,) + cloud.other_exchange_hosts


def url_problem(option, url, params):
    if url is None:
        return None
    form = "%s must be an https:// base URL such as https://host or https://host:8443, got %r" % (option, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return form
    # Tokens and bearer headers travel only over HTTPS. urlsplit drops spaces, tabs and an empty ? or #,
    # which the base URL would still carry into each request (to the endpoint's root: "not found").
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment or parts.path.strip("/") \
            or _NOT_IN_BASE_URL.search(url):
        return form
    # https://outlook.office365.com@evil.example names the host evil.example: userinfo is never accepted.
    if "@" in parts.netloc:
        return "%s must not hold a user name or password (user@host), got %r" % (option, url)
    if params.get("allow_custom_endpoints"):
        return None
    hosts = cloud_hosts(params["cloud"], option)
    if parts.hostname.lower().rstrip(".") not in hosts or port not in (None, 443):
        secret = " and the client secret" if option == "authority_url" and params.get("client_secret") else ""
        return ("%s may only name Microsoft's hosts of cloud %s (%s) on port 443, got %r: a token for "
                "Exchange Online%s would go to another server. Set allow_custom_endpoints=true only for a "
                "test service you trust" % (option, params["cloud"], ", ".join(hosts), url, secret))
    return None


def endpoints(params):
    """Token authority, Exchange base URL and token scope for the options.

    The scope stays the cloud's Exchange resource when exchange_url points
    elsewhere: the override moves the transport, not the token's audience.
    """
    cloud = CLOUDS[params["cloud"]]
    login_base = _base(params.get("authority_url")) or "https://" + cloud.login_host
    exchange_base = _base(params.get("exchange_url")) or "https://" + cloud.exchange_host
    return Endpoints(
        authority="%s/%s" % (login_base, params["tenant"]),
        exchange_base=exchange_base,
        scope="https://%s/.default" % cloud.exchange_host,
        custom_authority=bool(params.get("authority_url")),
    )


def _base(url):
    return url.rstrip("/") if url else None
