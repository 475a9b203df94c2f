# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kerberos options of the on-premises connection and their checks (kerberos.py uses them).

Kept apart from kerberos.py (credentials, krb5.conf, error hints): every on-premises task reads
these options, but only a direct Kerberos connection needs the rest, and a module compiles each
file it imports on every task.
"""

from __future__ import annotations

import os
import re

from ansible.module_utils.basic import env_fallback


def has_kerberos_libraries():
    """Whether pyspnego's Kerberos provider can work: it needs both gssapi and krb5.

    Imported on demand, not with this file: a task over the onprem_session
    connection never needs them, and loading them costs about 0.1 s.
    """
    try:
        import gssapi  # noqa: F401 pylint: disable=unused-import
        import krb5  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        return False
    return True


KERBEROS_SPEC = dict(
    kerberos_keytab=dict(type="path", fallback=(env_fallback, ["EXCHANGE_KERBEROS_KEYTAB"])),
    kerberos_ccache=dict(type="str", fallback=(env_fallback, ["EXCHANGE_KERBEROS_CCACHE"])),
    kerberos_realm=dict(type="str", fallback=(env_fallback, ["EXCHANGE_KERBEROS_REALM"])),
    # A comma-separated environment value becomes a list (Ansible's list conversion).
    kerberos_kdc=dict(type="list", elements="str", fallback=(env_fallback, ["EXCHANGE_KERBEROS_KDC"])),
    kerberos_hostname=dict(type="str", fallback=(env_fallback, ["EXCHANGE_KERBEROS_HOSTNAME"])),
    kerberos_delegate=dict(type="bool", default=False, fallback=(env_fallback, ["EXCHANGE_KERBEROS_DELEGATE"])),
)

KERBEROS_AUTHS = ("kerberos", "negotiate")
SYSTEM_KRB5_CONF = "/etc/krb5.conf"

# Realm names are written into krb5.conf: only the characters of DNS-style realms.
_REALM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")
_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.]+\]$")


def kerberos_option_errors(params):
    """Messages for every Kerberos option that is wrong; empty when all are usable."""
    errors = []
    auth = params["auth"]
    given = [name for name in KERBEROS_SPEC if name != "kerberos_delegate" and params.get(name)]
    if params.get("kerberos_delegate"):
        given.append("kerberos_delegate")
    if given and auth not in KERBEROS_AUTHS:
        return ["%s only apply to auth=kerberos or auth=negotiate (auth is %s)" % (", ".join(given), auth)]
    if auth == "kerberos" and not has_kerberos_libraries():
        errors.append("auth=kerberos needs the Python packages gssapi and krb5 on the controller "
                      "(pip install -r requirements.txt; they build against MIT Kerberos: libkrb5-dev "
                      "or krb5-devel)")
    sources = [name for name in ("password", "kerberos_keytab", "kerberos_ccache") if params.get(name)]
    if len(sources) > 1:
        errors.append("give one source of Kerberos credentials, not %s" % " and ".join(sources))
    if params.get("kerberos_keytab"):
        if not params.get("username"):
            errors.append("kerberos_keytab needs username: the principal whose key the keytab holds "
                          "(user@REALM)")
        if not os.access(params["kerberos_keytab"], os.R_OK):
            errors.append("kerberos_keytab %s is not a readable file" % params["kerberos_keytab"])
    ccache = params.get("kerberos_ccache")
    if ccache:
        path = _file_ccache_path(ccache)
        if path is not None and not os.path.isfile(path):
            errors.append("kerberos_ccache %s does not exist: run kinit for the user first, or give "
                          "the cache as TYPE:NAME (FILE:/tmp/krb5cc_1000, KEYRING:persistent:1000, KCM:)"
                          % ccache)
    realm = params.get("kerberos_realm")
    if realm and not _REALM.match(realm):
        errors.append("kerberos_realm %r is not a realm name (letters, digits, '.', '-', '_'; "
                      "for Active Directory the DNS domain in upper case, e.g. CONTOSO.COM)" % realm)
    kdcs = params.get("kerberos_kdc") or []
    if kdcs and not realm:
        errors.append("kerberos_kdc needs kerberos_realm: the realm those KDCs serve")
    for kdc in kdcs:
        if not _valid_kdc(kdc):
            errors.append("kerberos_kdc entry %r is not host[:port] (e.g. dc1.contoso.com or "
                          "10.0.0.5:88)" % kdc)
    hostname = params.get("kerberos_hostname")
    if hostname and not _HOSTNAME.match(hostname):
        errors.append("kerberos_hostname %r is not a host name: give the name the server's SPN "
                      "HTTP/<name> is registered with (setspn -L <server>)" % hostname)
    username = params.get("username") or ""
    if auth == "kerberos" and "\\" in username and not realm:
        errors.append("username %s is a down-level name (DOMAIN\\user), which Kerberos cannot use: give "
                      "user@REALM (e.g. admin@CONTOSO.COM) or set kerberos_realm" % username)
    return errors


def _valid_kdc(kdc):
    host, port = kdc, None
    if kdc.startswith("["):
        end = kdc.find("]") + 1
        host, rest = kdc[:end], kdc[end:]
        if rest:
            if not rest.startswith(":"):
                return False
            port = rest[1:]
        if not _IPV6.match(host):
            return False
    else:
        if kdc.count(":") == 1:
            host, port = kdc.split(":")
        if not _HOSTNAME.match(host):
            return False
    return port is None or (port.isdigit() and 0 < int(port) < 65536)


def _file_ccache_path(ccache):
    """The file of a FILE cache (or a bare path); None for other cache types."""
    kind, sep, rest = ccache.partition(":")
    if not sep or kind.startswith("/"):
        return ccache
    if kind.upper() == "FILE":
        return rest
    return None
