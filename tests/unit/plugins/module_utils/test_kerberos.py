# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kerberos connection options: validation, principal names, the private krb5.conf, error hints.

The KDC-backed paths (password, keytab, ticket cache, every documented error) run
against the lab's MIT KDC in the integration target ``kerberos``.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._onprem import kerberos, kerberos_options
from ansible_collections.mailflow.exchange.plugins.module_utils._onprem.client import ONPREM_CONNECTION_SPEC

gssapi_raw = pytest.importorskip("gssapi.raw.misc")
krb5 = pytest.importorskip("krb5")
spnego = pytest.importorskip("spnego")


def params(**overrides):
    values = {name: spec.get("default") for name, spec in ONPREM_CONNECTION_SPEC.items()}
    values.update(host="mail1.contoso.com", username="admin@CONTOSO.COM", password="secret")
    values.update(overrides)
    return values


def test_contract_options_are_connection_options():
    for name in ("kerberos_keytab", "kerberos_ccache", "kerberos_realm", "kerberos_kdc",
                 "kerberos_hostname", "kerberos_delegate"):
        assert name in ONPREM_CONNECTION_SPEC
        assert ONPREM_CONNECTION_SPEC[name]["fallback"][1] == ["EXCHANGE_" + name.upper()]
    assert ONPREM_CONNECTION_SPEC["kerberos_delegate"]["default"] is False


def test_valid_options_have_no_errors(tmp_path):
    keytab = tmp_path / "admin.keytab"
    keytab.write_bytes(b"\x05\x02")
    assert kerberos_options.kerberos_option_errors(params()) == []
    assert kerberos_options.kerberos_option_errors(params(
        password=None, kerberos_keytab=str(keytab), kerberos_realm="CONTOSO.COM",
        kerberos_kdc=["dc1.contoso.com", "10.0.0.5:88", "[fd00::5]:88"], kerberos_hostname="mail1.contoso.com",
        kerberos_delegate=True)) == []


@pytest.mark.parametrize("overrides, expected", [
    (dict(auth="ntlm", kerberos_realm="CONTOSO.COM"), "only apply to auth=kerberos or auth=negotiate"),
    (dict(auth="basic", use_ssl=True, kerberos_delegate=True), "kerberos_delegate only apply"),
    (dict(kerberos_ccache="KCM:"), "one source of Kerberos credentials, not password and kerberos_ccache"),
    (dict(password=None, kerberos_ccache="FILE:/nonexistent/cc"), "run kinit for the user first"),
    (dict(password=None, kerberos_ccache="/nonexistent/cc"), "does not exist"),
    (dict(password=None, username=None, kerberos_keytab="/nonexistent.keytab"), "needs username"),
    (dict(password=None, kerberos_keytab="/nonexistent.keytab"), "is not a readable file"),
    (dict(kerberos_kdc=["dc1"]), "kerberos_kdc needs kerberos_realm"),
    (dict(kerberos_realm="CONTOSO.COM", kerberos_kdc=["dc1:99999"]), "is not host[:port]"),
    (dict(kerberos_realm="CONTOSO.COM", kerberos_kdc=["dc1\n[realms]"]), "is not host[:port]"),
    (dict(kerberos_realm="CONTOSO.COM }\n[x]"), "is not a realm name"),
    (dict(kerberos_hostname="mail 1"), "is not a host name"),
    (dict(username="CONTOSO\\admin"), "give user@REALM"),
])
def test_bad_options_name_the_option_and_the_form(overrides, expected):
    errors = kerberos_options.kerberos_option_errors(params(**overrides))
    assert any(expected in error for error in errors), errors


def test_other_cache_types_are_not_checked_as_files():
    assert kerberos_options.kerberos_option_errors(params(password=None, kerberos_ccache="KEYRING:persistent:0")) == []


@pytest.mark.parametrize("username, realm, auth, expected", [
    ("admin", "CONTOSO.COM", "kerberos", "admin@CONTOSO.COM"),
    ("CONTOSO\\admin", "CONTOSO.COM", "kerberos", "admin@CONTOSO.COM"),
    ("admin@CONTOSO.COM", "CONTOSO.COM", "kerberos", "admin@CONTOSO.COM"),
    ("admin", None, "kerberos", "admin"),
    ("CONTOSO\\admin", "CONTOSO.COM", "negotiate", "CONTOSO\\admin"),  # NTLM may take it as it is
])
def test_principal_name(username, realm, auth, expected):
    assert kerberos.principal_name(params(username=username, kerberos_realm=realm, auth=auth)) == expected


def test_krb5_conf_names_the_realm_and_its_kdcs():
    text = kerberos.krb5_conf_text("CONTOSO.COM", ["dc1.contoso.com", "dc2.contoso.com:88"])
    assert "default_realm = CONTOSO.COM" in text
    assert "kdc = dc1.contoso.com\n" in text and "kdc = dc2.contoso.com:88\n" in text
    assert "dns_lookup_kdc = false" in text and "rdns = false" in text
    assert "dns_lookup_kdc = true" in kerberos.krb5_conf_text("CONTOSO.COM", [])


def test_private_krb5_conf_is_first_and_removed_on_close(monkeypatch):
    monkeypatch.setenv("KRB5_CONFIG", "/etc/site-krb5.conf")
    setup = kerberos.KerberosSetup(params(kerberos_realm="CONTOSO.COM", kerberos_kdc=["dc1"]))
    conf = setup.krb5_conf
    assert os.environ["KRB5_CONFIG"] == conf + ":/etc/site-krb5.conf"
    assert os.stat(os.path.dirname(conf)).st_mode & 0o077 == 0
    with open(conf) as handle:
        assert "kdc = dc1" in handle.read()
    setup.close()
    assert os.environ["KRB5_CONFIG"] == "/etc/site-krb5.conf"
    assert not os.path.exists(os.path.dirname(conf))


def test_no_realm_no_private_conf(monkeypatch):
    monkeypatch.delenv("KRB5_CONFIG", raising=False)
    setup = kerberos.KerberosSetup(params())
    assert setup.krb5_conf is None and "KRB5_CONFIG" not in os.environ
    setup.close()


def test_wsman_arguments_per_credential_source(tmp_path):
    keytab = str(tmp_path / "k")
    by_password = kerberos.KerberosSetup(params()).wsman_arguments()
    assert by_password == dict(username="admin@CONTOSO.COM", password="secret", negotiate_delegate=False)
    by_keytab = kerberos.KerberosSetup(params(password=None, kerberos_keytab=keytab,
                                              kerberos_hostname="mail1")).wsman_arguments()
    assert isinstance(by_keytab["username"], spnego.KerberosKeytab)
    assert by_keytab["username"].keytab == keytab and by_keytab["password"] is None
    assert by_keytab["negotiate_hostname_override"] == "mail1"
    by_cache = kerberos.KerberosSetup(params(password=None, kerberos_ccache="KCM:",
                                             kerberos_delegate=True)).wsman_arguments()
    assert isinstance(by_cache["username"], spnego.KerberosCCache) and by_cache["negotiate_delegate"]
    ntlm = kerberos.KerberosSetup(params(auth="ntlm", username="CONTOSO\\admin")).wsman_arguments()
    assert ntlm == dict(username="CONTOSO\\admin", password="secret")


def _real_krb5_error():
    context = krb5.init_context()
    cache = krb5.cc_resolve(context, b"FILE:/nonexistent/mailflow-cc")
    try:
        krb5.cc_get_principal(context, cache)
    except krb5.Krb5Error as error:
        return error
    raise AssertionError("a missing cache did not raise")


def test_hint_from_a_krb5_error():
    hint = kerberos.kerberos_error_hint(_real_krb5_error(), params())
    assert hint.startswith("no Kerberos ticket for admin@CONTOSO.COM: give password")


@pytest.mark.parametrize("minor, expected", [
    (kerberos.AP_ERR_SKEW, "synchronise the controller's clock"),
    (kerberos.AP_ERR_TKT_EXPIRED, "has expired: renew it with kinit"),
    (kerberos.KDC_ERR_S_PRINCIPAL_UNKNOWN, "no service principal HTTP/mail1.contoso.com"),
    (kerberos.KDC_ERR_PREAUTH_FAILED, "refused the password of admin@CONTOSO.COM"),
])
def test_hint_from_a_gssapi_minor_code_inside_spnego(minor, expected):
    gss_error = gssapi_raw.GSSError(851968, minor & 0xFFFFFFFF)
    wrapped = spnego.exceptions.SpnegoError(base_error=gss_error, context_msg="Processing security token")
    assert expected in kerberos.kerberos_error_hint(wrapped, params())


def test_other_kerberos_errors_get_the_general_hint():
    error = spnego.exceptions.SpnegoError(base_error=gssapi_raw.GSSError(851968, 12345), context_msg="x")
    assert "check username (user@REALM)" in kerberos.kerberos_error_hint(error, params())


def test_no_hint_for_other_errors_or_auths():
    assert kerberos.kerberos_error_hint(ValueError("port 1765328347"), params()) is None
    assert kerberos.kerberos_error_hint(_real_krb5_error(), params(auth="ntlm")) is None


def test_missing_python_kerberos_packages_are_named(monkeypatch):
    monkeypatch.setattr(kerberos_options, "has_kerberos_libraries", lambda: False)
    errors = kerberos_options.kerberos_option_errors(params())
    assert any("needs the Python packages gssapi and krb5" in error for error in errors)
    assert kerberos_options.kerberos_option_errors(params(auth="ntlm")) == []
