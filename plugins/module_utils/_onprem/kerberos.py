# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kerberos for the on-premises connection: credentials, krb5.conf and errors (the options: kerberos_options.py).

A stock Exchange server accepts only Kerberos on /PowerShell. pypsrp hands the
credentials to pyspnego, whose GSSAPI provider (python-gssapi and krb5 over MIT
Kerberos) gets the tickets:

- a password: pyspnego's kinit into a MEMORY cache of this process, gone with it;
- ``kerberos_keytab``: the same from the client keytab;
- ``kerberos_ccache``: tickets from an existing cache (e.g. after ``kinit``);
- nothing: the default cache (KRB5CCNAME), as any Kerberos client.

``kerberos_realm``/``kerberos_kdc`` write a private krb5.conf in a temp dir and
put it first in KRB5_CONFIG (the system file stays behind it); the variable is
restored and the directory removed when the connection closes.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile

from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.kerberos_options import KERBEROS_AUTHS, SYSTEM_KRB5_CONF


def principal_name(params):
    """The client principal for Kerberos: user@REALM when the realm is known and not given."""
    username = params.get("username")
    realm = params.get("kerberos_realm")
    if not username or not realm or params["auth"] != "kerberos":
        return username
    if "\\" in username:
        username = username.split("\\", 1)[1]
    return username if "@" in username else "%s@%s" % (username, realm)


def krb5_conf_text(realm, kdcs):
    """The private krb5.conf: the realm and its KDCs; host names taken as given."""
    lines = [
        "[libdefaults]",
        "    default_realm = %s" % realm,
        "    dns_lookup_realm = false",
        "    dns_lookup_kdc = %s" % ("false" if kdcs else "true"),
        # The SPN is HTTP/<host or kerberos_hostname>, never a name found by reverse DNS.
        "    dns_canonicalize_hostname = false",
        "    rdns = false",
        "",
        "[realms]",
        "    %s = {" % realm,
    ]
    lines += ["        kdc = %s" % kdc for kdc in kdcs]
    lines += ["    }", ""]
    return "\n".join(lines)


class KerberosSetup:
    """What one connection needs from Kerberos: WSMan arguments and a private krb5.conf.

    ``close()`` restores KRB5_CONFIG and removes the private directory.
    """

    def __init__(self, params):
        self._params = params
        self._tempdir = None
        self._saved_config = None
        if params["auth"] in KERBEROS_AUTHS and params.get("kerberos_realm"):
            self._write_krb5_conf()

    @property
    def krb5_conf(self):
        return os.path.join(self._tempdir, "krb5.conf") if self._tempdir else None

    def wsman_arguments(self):
        """username, password and the negotiate_* options for pypsrp's WSMan."""
        p = self._params
        if p["auth"] not in KERBEROS_AUTHS:
            return dict(username=p["username"], password=p["password"])
        principal = principal_name(p)
        arguments = dict(username=principal, password=p["password"],
                         negotiate_delegate=bool(p.get("kerberos_delegate")))
        if p.get("kerberos_hostname"):
            arguments["negotiate_hostname_override"] = p["kerberos_hostname"]
        # pyspnego takes credential objects in place of the user name.
        import spnego  # with pypsrp, whose import onprem.check_connection_options reports

        if p.get("kerberos_keytab"):
            arguments.update(username=spnego.KerberosKeytab(keytab=p["kerberos_keytab"], principal=principal),
                             password=None)
        elif p.get("kerberos_ccache"):
            arguments.update(username=spnego.KerberosCCache(ccache=p["kerberos_ccache"], principal=principal),
                             password=None)
        return arguments

    def _write_krb5_conf(self):
        self._tempdir = tempfile.mkdtemp(prefix="mailflow-krb5-")  # mode 0700
        with open(self.krb5_conf, "w") as handle:
            handle.write(krb5_conf_text(self._params["kerberos_realm"], self._params.get("kerberos_kdc") or []))
        self._saved_config = os.environ.get("KRB5_CONFIG")
        # MIT reads every file of the list, the first value winning: ours, then the system's.
        behind = self._saved_config or (SYSTEM_KRB5_CONF if os.path.exists(SYSTEM_KRB5_CONF) else "")
        os.environ["KRB5_CONFIG"] = self.krb5_conf + (":" + behind if behind else "")

    def close(self):
        if self._tempdir is None:
            return
        if self._saved_config is None:
            os.environ.pop("KRB5_CONFIG", None)
        else:
            os.environ["KRB5_CONFIG"] = self._saved_config
        shutil.rmtree(self._tempdir, ignore_errors=True)
        self._tempdir = None


# MIT Kerberos error codes (krb5_err.et, krb5 1.20); GSSAPI minor codes carry them as unsigned.
KDC_ERR_CLIENT_REVOKED = -1765328366
KDC_ERR_KEY_EXPIRED = -1765328361
KDC_ERR_PREAUTH_FAILED = -1765328360
KDC_ERR_C_PRINCIPAL_UNKNOWN = -1765328378
KDC_ERR_S_PRINCIPAL_UNKNOWN = -1765328377
AP_ERR_BAD_INTEGRITY = -1765328353
AP_ERR_TKT_EXPIRED = -1765328352
AP_ERR_SKEW = -1765328347
KRB5_KDC_UNREACH = -1765328228
KRB5_REALM_UNKNOWN = -1765328230
KRB5_CC_NOTFOUND = -1765328243
KRB5_FCC_NOFILE = -1765328189
KRB5_KT_NOTFOUND = -1765328203
KRB5_CONFIG_NODEFREALM = -1765328160

_NO_TICKET = ("no Kerberos ticket for {principal}: give password (or kerberos_keytab), or run kinit "
              "for the user and give its cache in kerberos_ccache (or KRB5CCNAME)")

# Each error the user can fix, with what to fix. The first code found in the exception wins.
_HINTS = {
    KDC_ERR_PREAUTH_FAILED: "the KDC refused the password of {principal}: check password",
    AP_ERR_BAD_INTEGRITY: "the KDC refused the password of {principal}: check password",
    KDC_ERR_C_PRINCIPAL_UNKNOWN: ("the KDC does not know the user {principal}: check username "
                                  "(user@REALM, the realm in upper case) and kerberos_realm"),
    KDC_ERR_S_PRINCIPAL_UNKNOWN: ("the KDC has no service principal HTTP/{spn_host}: connect by the server's "
                                  "own name, or set kerberos_hostname to the name its HTTP SPN is "
                                  "registered with (setspn -L <server>)"),
    AP_ERR_SKEW: ("the clocks of this controller and the domain differ by more than the allowed skew "
                  "(5 minutes by default): synchronise the controller's clock with the domain (NTP)"),
    AP_ERR_TKT_EXPIRED: ("the Kerberos ticket of {principal} has expired: renew it with kinit, or give "
                         "password or kerberos_keytab instead of a ticket cache"),
    KRB5_KDC_UNREACH: ("cannot reach a KDC of realm {realm}: check kerberos_kdc (host[:port], port 88 "
                       "reachable) or the realm's kdc entries in krb5.conf"),
    KRB5_REALM_UNKNOWN: ("no KDC is known for realm {realm}: set kerberos_realm and kerberos_kdc, or add "
                         "the realm to krb5.conf"),
    KRB5_CONFIG_NODEFREALM: "no default realm: give username as user@REALM or set kerberos_realm",
    KDC_ERR_KEY_EXPIRED: "the password of {principal} has expired: change it, then update password",
    KDC_ERR_CLIENT_REVOKED: "the account {principal} is disabled or locked out",
    KRB5_KT_NOTFOUND: "kerberos_keytab holds no key for {principal}: check username and the keytab (klist -k)",
    KRB5_CC_NOTFOUND: _NO_TICKET,
    KRB5_FCC_NOFILE: _NO_TICKET,
}
# GSSAPI major status codes (RFC 2744 section 3.9.1), shifted into the routine-error field.
_GSS_S_NO_CRED = 7 << 16
_GSS_S_CREDENTIALS_EXPIRED = 11 << 16
_MAJOR_HINTS = {_GSS_S_NO_CRED: _NO_TICKET, _GSS_S_CREDENTIALS_EXPIRED: _HINTS[AP_ERR_TKT_EXPIRED]}
_MINOR_IN_TEXT = re.compile(r"(?:Minor \(|\s)(-?\d{9,10})\b")


def kerberos_error_hint(exc, params):
    """What to fix for a Kerberos failure found anywhere in ``exc``'s chain; None if it is not one."""
    if params["auth"] not in KERBEROS_AUTHS:
        return None
    codes, majors = _error_codes(exc)
    for code in codes:
        if code in _HINTS:
            return _format_hint(_HINTS[code], params)
    for major in majors:
        if major in _MAJOR_HINTS:
            return _format_hint(_MAJOR_HINTS[major], params)
    if _from_kerberos_library(exc):
        return ("check username (user@REALM), the credentials and the realm's settings "
                "(kerberos_realm and kerberos_kdc, or krb5.conf)")
    return None


def _from_kerberos_library(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__module__.split(".")[0] in ("spnego", "gssapi", "krb5"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _format_hint(hint, params):
    return hint.format(principal=principal_name(params) or "the default principal",
                       realm=params.get("kerberos_realm") or "of the user",
                       spn_host=params.get("kerberos_hostname") or params["host"])


def _error_codes(exc):
    """Signed MIT error codes and GSSAPI major codes (routine part) in ``exc`` and its causes."""
    codes, majors, seen = [], [], set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        for attribute in ("err_code", "min_code"):  # krb5.Krb5Error, gssapi GSSError
            value = getattr(current, attribute, None)
            if isinstance(value, int) and value:
                codes.append(_signed(value))
        major = getattr(current, "maj_code", None)
        if isinstance(major, int):
            majors.append(major & 0x00FF0000)
        codes.extend(_signed(int(text)) for text in _MINOR_IN_TEXT.findall(str(current)))
        pending += [getattr(current, "base_error", None), current.__cause__, current.__context__]
    return codes, majors


def _signed(code):
    code &= 0xFFFFFFFF
    return code - (1 << 32) if code >= (1 << 31) else code
