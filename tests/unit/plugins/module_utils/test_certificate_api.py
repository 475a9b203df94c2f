# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange certificates read from the real Get-ExchangeCertificate captures.

E19-GetExchangeCertificate.xml holds the certificates of server Solo-E19A;
GetExchangeCertificate-MultipleMatches.xml those of WIN-CTD3L0RGEN4, the server of the
E19 Get-ReceiveConnector capture, whose Default Frontend names one of them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._server import certificate as certificate_api

from ansible_collections.mailflow.exchange.plugins.module_utils._values import clixml, psobject

from ansible_collections.mailflow.exchange.plugins.module_utils._values import nrbf
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import InvalidValue
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import certificate_name_covers
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector.table import READ_TABLE

DATA = Path(__file__).resolve().parents[2] / "data"
E19 = DATA / "E19-GetExchangeCertificate.xml"
MULTIPLE = DATA / "GetExchangeCertificate-MultipleMatches.xml"
CONNECTORS = DATA / "E19-GetReceiveConnector.xml"

UTC = timezone.utc
SERVER = "WIN-CTD3L0RGEN4"
SERVER_CERT = "611C687DFC4343A5A03E0005A1EC6E9B6AFF586D"  # CN=WIN-CTD3L0RGEN4, until 2026-08-06T13:56:14Z
LOCALHOST_CERTS = ["03221367D3A3E863698501592A9B9C420D8D3F4E", "E267D459A0FB53D0EF225C11FAC062D522648C09"]
SOLO_CERT = "6C7DE09FB39A40144F57EFEBC3DF0148E3A9AB28"
BEFORE_SERVER_CERT_EXPIRY = datetime(2026, 1, 1, tzinfo=UTC)


def _load(path):
    return clixml.plain_objects_from_export_clixml(path.read_bytes())


@pytest.fixture(scope="module")
def e19_objects():
    return _load(E19)


@pytest.fixture(scope="module")
def multiple_objects():
    return _load(MULTIPLE)


@pytest.fixture(scope="module")
def all_objects(e19_objects, multiple_objects):
    return e19_objects + multiple_objects


def _by_thumbprint(objects, now=BEFORE_SERVER_CERT_EXPIRY):
    return {cert.thumbprint: cert for cert in (certificate_api.Certificate(obj, now) for obj in objects)}


def _printed(obj, field):
    """A field of X509Certificate's ToString, read independently of the code under test."""
    return re.search(r"\[%s\]\s+(\S[^\r\n]*)" % re.escape(field), psobject.to_string(obj)).group(1).strip()


# --- every certificate of both captures ------------------------------------------------------------

def test_every_certificate_of_both_captures_parses(all_objects):
    assert len(all_objects) == 8
    for obj in all_objects:
        values = certificate_api.Certificate(obj).values
        assert values["thumbprint"] == _printed(obj, "Thumbprint")
        assert values["serial_number"] == _printed(obj, "Serial Number")
        assert values["subject"] == _printed(obj, "Subject")
        assert values["issuer"] == _printed(obj, "Issuer")
        assert values["tls_certificate_name"] == "<I>%s<S>%s" % (values["issuer"], values["subject"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", values["not_after"])
        assert values["not_before"] < values["not_after"]
        assert all(name == name.lower() for name in values["certificate_domains"])
        # Every one is listed by Exchange as self-signed, valid, and with its private key on the server.
        assert values["is_self_signed"] is True
        assert values["status"] == "Valid"
        assert values["has_private_key"] is True


def test_thumbprint_is_the_sha1_of_rawdata_and_the_identity_names_it(all_objects):
    for obj in all_objects:
        fields = nrbf.read_stream(psobject.get_property(obj, "SerializationData")).members
        thumbprint = hashlib.sha1(psobject.get_property(obj, "RawData")).hexdigest().upper()
        assert fields["Identity"].endswith("\\" + thumbprint)
        assert certificate_api.Certificate(obj).thumbprint == thumbprint


def test_certdata_store_element_holds_the_same_certificate(all_objects):
    """CertData (inside SerializationData) carries the DER again as CERT_CERT_PROP_ID (32)."""
    for obj in all_objects:
        cert_data = nrbf.read_stream(psobject.get_property(obj, "SerializationData")).members["CertData"]
        properties = certificate_api._store_properties(cert_data)
        assert properties[32] == psobject.get_property(obj, "RawData")


def test_names_formatted_from_der_equal_what_windows_printed(all_objects):
    from cryptography import x509

    for obj in all_objects:
        der = x509.load_der_x509_certificate(psobject.get_property(obj, "RawData"))
        assert certificate_api.windows_name(der.subject) == _printed(obj, "Subject")
        assert certificate_api.windows_name(der.issuer) == _printed(obj, "Issuer")


def test_without_tostring_the_names_come_from_der(multiple_objects):
    obj = dict(multiple_objects[2], text=None)
    values = certificate_api.Certificate(obj).values
    assert values["tls_certificate_name"] == "<I>CN=WIN-CTD3L0RGEN4<S>CN=WIN-CTD3L0RGEN4"


def test_exchange_fields_of_the_e19_server(e19_objects):
    certs = _by_thumbprint(e19_objects)
    solo = certs[SOLO_CERT].values
    assert solo["server"] == "SOLO-E19A"
    assert solo["services"] == ["IMAP", "POP", "IIS", "SMTP"]  # AllowedServices 27
    assert solo["certificate_domains"] == ["solo-e19a", "solo-e19a.solo.com"]
    assert solo["friendly_name"] == "Microsoft Exchange"
    assert solo["not_after"] == "2024-12-03T22:45:58Z"
    auth = certs["C3EDCF181EF4F9B53D01768ECA99564014BCA6E7"].values
    assert auth["services"] == ["SMTP"]
    assert auth["certificate_domains"] == []
    wmsvc = certs["38247AD2B76244411748274C508D13446311830B"].values
    assert wmsvc["services"] == []  # None: "certificates that aren't used with Exchange"


def test_exchange_fields_of_the_connector_server(multiple_objects):
    certs = _by_thumbprint(multiple_objects)
    assert {cert.values["server"] for cert in certs.values()} == {SERVER}
    server_cert = certs[SERVER_CERT].values
    assert server_cert["services"] == ["IMAP", "POP", "IIS"]  # AllowedServices 11: no SMTP
    assert server_cert["certificate_domains"] == ["win-ctd3l0rgen4", "win-ctd3l0rgen4.exlab.dom"]
    assert [certs[t].values["friendly_name"] for t in LOCALHOST_CERTS] == ["IIS Express Development Certificate"] * 2


def test_flat_properties_win_over_serialization_data(multiple_objects):
    """A serialiser that sends Exchange's properties flat is read from them."""
    obj = dict(multiple_objects[2])
    obj["properties"] = dict(obj["properties"], Services="IIS, SMTP", HasPrivateKey=False,
                             FriendlyName="renamed", Status="DateInvalid")
    values = certificate_api.Certificate(obj).values
    assert (values["services"], values["has_private_key"], values["friendly_name"], values["status"]) == (
        ["IIS", "SMTP"], False, "renamed", "DateInvalid")


# --- the real cross-check: the connector names the server's own certificate ---------------------

def test_default_frontend_names_the_servers_self_signed_certificate(multiple_objects, e19_objects):
    connectors = [psobject.object_to_values(obj, READ_TABLE) for obj in _load(CONNECTORS)]
    frontend = next(c for c in connectors if c["name"] == "Default Frontend " + SERVER)
    names = {thumbprint: cert.values["tls_certificate_name"]
             for thumbprint, cert in _by_thumbprint(multiple_objects + e19_objects).items()}
    assert [t for t, name in names.items() if name == frontend["tls_certificate_name"]] == [SERVER_CERT]


# --- days left with an injected clock ---------------------------------------------------------------

def test_days_left_counts_whole_days_rounded_down(multiple_objects):
    obj = next(o for o in multiple_objects if SERVER_CERT in psobject.to_string(o))
    not_after = datetime(2026, 8, 6, 13, 56, 14, tzinfo=UTC)
    cases = [
        (not_after - timedelta(days=30), 30),
        (not_after - timedelta(hours=36), 1),
        (not_after - timedelta(seconds=1), 0),
        (not_after + timedelta(seconds=1), -1),
        (not_after + timedelta(days=2, hours=1), -3),
    ]
    for now, days in cases:
        assert certificate_api.Certificate(obj, now).values["days_left"] == days, now


def test_is_current_includes_not_before_and_excludes_not_after(multiple_objects):
    cert = _by_thumbprint(multiple_objects)[SERVER_CERT]
    assert cert.is_current(cert.valid_from)
    assert not cert.is_current(cert.valid_from - timedelta(seconds=1))
    assert cert.is_current(cert.valid_until - timedelta(seconds=1))
    assert not cert.is_current(cert.valid_until)


# --- filters --------------------------------------------------------------------------------------

def _matching(certs, **filters):
    return sorted(t for t, cert in certs.items() if cert.matches(now=BEFORE_SERVER_CERT_EXPIRY, **filters))


def test_filters_on_the_multiple_matches_capture(multiple_objects):
    certs = _by_thumbprint(multiple_objects)
    assert _matching(certs, domain="localhost") == LOCALHOST_CERTS
    assert _matching(certs, domain="win-ctd3l0rgen4.exlab.dom") == [SERVER_CERT]
    # The subject CN counts too, as for Get-ExchangeCertificate -DomainName.
    assert _matching(certs, domain="wmsvc-sha2-win-ctd3l0rgen4") == ["3341CEAF3DF4D3A9527EC98BDD53C54ECC3E0620"]
    assert _matching(certs, service="SMTP") == LOCALHOST_CERTS
    assert _matching(certs, service="IIS") == [SERVER_CERT]
    assert _matching(certs, thumbprint=SERVER_CERT) == [SERVER_CERT]
    # On 2026-01-01 the auth certificate (until 2026-07-11) is still valid; all five are.
    assert len(_matching(certs, valid_only=True)) == 5
    later = [t for t, c in certs.items() if c.matches(valid_only=True, now=datetime(2026, 9, 1, tzinfo=UTC))]
    assert sorted(later) == ["03221367D3A3E863698501592A9B9C420D8D3F4E", "3341CEAF3DF4D3A9527EC98BDD53C54ECC3E0620"]


@pytest.mark.parametrize("name, domain, covered", [
    ("mail.contoso.com", "mail.contoso.com", True),
    ("*.contoso.com", "mail.contoso.com", True),
    ("*.contoso.com", "contoso.com", False),
    ("*.contoso.com", "a.b.contoso.com", False),
    ("*.contoso.com", "*.contoso.com", True),
    ("mail.contoso.com", "*.contoso.com", False),
    ("contoso.com", "mail.contoso.com", False),
])
def test_certificate_wildcards_cover_one_label(name, domain, covered):
    assert certificate_name_covers(name, domain) is covered


# --- thumbprints ------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    SERVER_CERT,
    SERVER_CERT.lower(),
    " ".join(SERVER_CERT[i:i + 2] for i in range(0, 40, 2)),
    ":".join(SERVER_CERT[i:i + 2] for i in range(0, 40, 2)).lower(),
    "\u200e" + SERVER_CERT,  # what the Windows certificate dialog puts on the clipboard
])
def test_thumbprint_spellings_normalise(typed):
    assert certificate_api.normalise_thumbprint(typed, "tls_certificate_thumbprint") == SERVER_CERT


@pytest.mark.parametrize("typed, reason", [
    (SERVER_CERT[:8], "prefix"),
    (SERVER_CERT + "0", "more than"),
    (SERVER_CERT[:-1] + "G", None),
    ("", None),
    (None, None),
])
def test_bad_thumbprints_are_refused_naming_the_option(typed, reason):
    with pytest.raises(InvalidValue) as caught:
        certificate_api.normalise_thumbprint(typed, "tls_certificate_thumbprint")
    assert str(caught.value).startswith("tls_certificate_thumbprint: ")
    if reason:
        assert reason in caught.value.reason


# --- resolve_tls_certificate_name ------------------------------------------------------------------

class FakeExchange:
    """Answers Get-ExchangeCertificate with a capture, as the server would."""

    def __init__(self, objects):
        self.objects = objects
        self.calls = []

    def invoke(self, cmdlet, parameters=None):
        self.calls.append((cmdlet, dict(parameters or {})))
        return list(self.objects)


def _resolve(objects, thumbprint, now):
    warnings = []
    client = FakeExchange(objects)
    name = certificate_api.resolve_tls_certificate_name(client, SERVER, thumbprint, warn=warnings.append, now=now)
    return name, warnings, client.calls


def test_resolve_gives_the_name_the_connector_holds_and_warns_without_smtp(multiple_objects):
    name, warnings, calls = _resolve(multiple_objects, SERVER_CERT.lower(), BEFORE_SERVER_CERT_EXPIRY)
    assert name == "<I>CN=WIN-CTD3L0RGEN4<S>CN=WIN-CTD3L0RGEN4"
    assert calls == [("Get-ExchangeCertificate", {"Server": SERVER})]
    assert len(warnings) == 1 and "not enabled for SMTP" in warnings[0] and "IMAP, POP, IIS" in warnings[0]


def test_resolve_warns_when_another_certificate_has_the_same_name(multiple_objects):
    name, warnings, _calls = _resolve(multiple_objects, LOCALHOST_CERTS[0], BEFORE_SERVER_CERT_EXPIRY)
    assert name == "<I>CN=localhost<S>CN=localhost"
    assert len(warnings) == 1 and LOCALHOST_CERTS[1] in warnings[0]


@pytest.mark.parametrize("thumbprint, now, reason", [
    (SERVER_CERT, datetime(2026, 8, 6, 13, 56, 14, tzinfo=UTC), "it expired on 2026-08-06T13:56:14Z"),
    (SERVER_CERT, datetime(2021, 8, 6, 13, 56, 13, tzinfo=UTC), "it is valid only from 2021-08-06T13:56:14Z"),
    (SOLO_CERT, BEFORE_SERVER_CERT_EXPIRY, "Get-ExchangeCertificate -Server WIN-CTD3L0RGEN4 does not list it"),
])
def test_resolve_refuses_unusable_certificates(multiple_objects, thumbprint, now, reason):
    with pytest.raises(certificate_api.CertificateNotUsable) as caught:
        _resolve(multiple_objects, thumbprint, now)
    assert isinstance(caught.value, InvalidValue)
    assert caught.value.reason == reason
    assert str(caught.value).startswith("tls_certificate_thumbprint: '%s' is not a usable certificate of %s"
                                        % (thumbprint, SERVER))


def test_resolve_refuses_a_certificate_without_private_key(multiple_objects):
    objects = [dict(obj, properties=dict(obj["properties"], HasPrivateKey=False)) for obj in multiple_objects]
    with pytest.raises(certificate_api.CertificateNotUsable, match="no private key"):
        _resolve(objects, LOCALHOST_CERTS[0], BEFORE_SERVER_CERT_EXPIRY)


def test_resolve_refuses_a_prefix_before_asking_exchange(multiple_objects):
    client = FakeExchange(multiple_objects)
    with pytest.raises(InvalidValue, match="prefix"):
        certificate_api.resolve_tls_certificate_name(client, SERVER, SERVER_CERT[:12])
    assert client.calls == []


# --- the NRBF reader on broken input ----------------------------------------------------------------

def test_every_truncation_of_a_real_stream_is_a_clean_error(e19_objects):
    data = psobject.get_property(e19_objects[1], "SerializationData")
    for cut in range(0, len(data) - 1, 5):
        with pytest.raises(nrbf.NrbfError):
            nrbf.read_stream(data[:cut])


def test_a_stream_without_header_is_refused():
    with pytest.raises(nrbf.NrbfError, match="SerializedStreamHeader"):
        nrbf.read_stream(b"\x0b")
