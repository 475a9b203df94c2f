"""Value kinds: user input and Exchange output meet in one canonical form."""
from types import SimpleNamespace

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._values import canonical as c
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    UnexpectedExchangeValue,
)


def exchange_object(text):
    """Stand-in for a pypsrp object that only carries a <ToString>."""
    return SimpleNamespace(to_string=text)


def rejects(kind, value, option="opt"):
    with pytest.raises(InvalidValue) as info:
        kind.from_input(value, option)
    return str(info.value)


# --- InvalidValue -------------------------------------------------------------------------------

def test_invalid_value_message_names_option_value_and_accepted_form():
    message = rejects(c.IP_RANGES, "10.0.0.0/33", option="remote_ip_ranges")
    assert message.startswith("remote_ip_ranges: '10.0.0.0/33' is not an IP range")
    assert "use a single address (10.1.2.3), a range (10.1.2.3-10.1.2.9) or CIDR (10.1.2.0/24)" in message


def test_invalid_value_is_a_value_error_with_its_parts():
    with pytest.raises(ValueError) as info:
        c.BOOL.from_input("maybe", "enabled")
    assert (info.value.option, info.value.value) == ("enabled", "maybe")
    assert "true or false" in info.value.accepted


# --- STRING -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["", None])
def test_string_empty_is_none(value):
    assert c.STRING.from_input(value, "banner") is None
    assert c.STRING.from_exchange(value) is None


def test_string_keeps_text_verbatim():
    assert c.STRING.from_input(" 220 Hello ", "banner") == " 220 Hello "
    assert c.STRING.to_parameter("220 Hello") == "220 Hello"


def test_string_max_length():
    kind = c.String(max_length=64)
    assert kind.from_input("x" * 64, "name") == "x" * 64
    assert "at most 64" in rejects(kind, "x" * 65, "name")


def test_string_rejects_non_text():
    rejects(c.STRING, 12)


# --- BOOL ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [True, "yes", "Yes", "on", "1", "true", "TRUE", "t", "y", 1])
def test_bool_true_spellings(value):
    assert c.BOOL.from_input(value, "enabled") is True


@pytest.mark.parametrize("value", [False, "no", "off", "0", "false", "False", "f", "n", 0])
def test_bool_false_spellings(value):
    assert c.BOOL.from_input(value, "enabled") is False


@pytest.mark.parametrize("value", ["maybe", 2, "", None, 1.5])
def test_bool_rejects(value):
    rejects(c.BOOL, value)


def test_bool_from_exchange_and_parameter():
    assert c.BOOL.from_exchange(True) is True
    assert c.BOOL.from_exchange(False) is False
    assert c.BOOL.to_parameter(True) is True


# --- INT / UNLIMITED_INT ------------------------------------------------------------------------

def test_int_accepts_int_and_digit_strings():
    assert c.INT.from_input(5, "x") == 5
    assert c.INT.from_input("42", "x") == 42
    assert c.INT.from_exchange(5000) == 5000


@pytest.mark.parametrize("value", [True, "4.5", 4.5, "ten", None, ""])
def test_int_rejects(value):
    rejects(c.INT, value)


def test_int_bounds():
    kind = c.Int(1, 500)
    assert kind.from_input(500, "max_hop_count") == 500
    message = rejects(kind, 501, "max_hop_count")
    assert "from 1 to 500" in message
    rejects(kind, 0, "max_hop_count")


def test_unlimited_int():
    assert c.UNLIMITED_INT.from_input("unlimited", "x") == "Unlimited"
    assert c.UNLIMITED_INT.from_input(20, "x") == 20
    assert c.UNLIMITED_INT.from_exchange(exchange_object("Unlimited")) == "Unlimited"
    assert c.UNLIMITED_INT.from_exchange(exchange_object("5000")) == 5000
    assert c.UNLIMITED_INT.to_parameter(20) == "20"
    assert c.UNLIMITED_INT.to_parameter("Unlimited") == "Unlimited"
    assert "Unlimited" in rejects(c.UnlimitedInt(1, 10000), 10001)
    rejects(c.UNLIMITED_INT, "infinite")


def test_unlimited_int_garbage_from_exchange():
    with pytest.raises(UnexpectedExchangeValue):
        c.UNLIMITED_INT.from_exchange(exchange_object("lots"))


# --- EnumKind -------------------------------------------------------------------------------------

ROLE = c.EnumKind(("FrontendTransport", "HubTransport"))


def test_enum_is_case_insensitive_and_canonical_is_exchange_spelling():
    assert ROLE.from_input("frontendtransport", "transport_role") == "FrontendTransport"
    assert ROLE.from_exchange(exchange_object("HubTransport")) == "HubTransport"
    assert ROLE.from_input("HUBTRANSPORT", "t") == ROLE.from_exchange(exchange_object("HubTransport"))


def test_enum_rejects_unknown_and_lists_names():
    message = rejects(ROLE, "Edge", "transport_role")
    assert "one of FrontendTransport, HubTransport" in message


def test_enum_keeps_a_name_exchange_reports_but_we_do_not_know():
    assert ROLE.from_exchange(exchange_object("Mailbox")) == "Mailbox"


# --- FlagsKind ------------------------------------------------------------------------------------

AUTH = c.FlagsKind(("None", "Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer",
                    "ExternalAuthoritative"))


def test_flags_from_comma_string_or_list_are_equal():
    from_string = AUTH.from_input("basicauth, TLS", "auth_mechanism")
    from_list = AUTH.from_input(["Tls", "BasicAuth", "tls"], "auth_mechanism")
    assert from_string == from_list == ["Tls", "BasicAuth"]


def test_flags_match_exchange_print():
    printed = exchange_object("Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer")
    typed = AUTH.from_input(["ExchangeServer", "BasicAuthRequireTLS", "BasicAuth", "Integrated", "Tls"], "a")
    assert AUTH.from_exchange(printed) == typed


@pytest.mark.parametrize("value", [None, "None", ["None"], [], ""])
def test_flags_none_is_empty_list(value):
    assert AUTH.from_input(value, "auth_mechanism") == []


def test_flags_none_from_exchange():
    assert AUTH.from_exchange(exchange_object("None")) == []
    assert AUTH.from_exchange(None) == []


def test_flags_none_cannot_be_combined():
    assert "None cannot be combined" in rejects(AUTH, "None, Tls", "auth_mechanism")


def test_flags_unknown_name_lists_accepted_names():
    message = rejects(AUTH, ["Tls", "Kerberos"], "auth_mechanism")
    assert message.startswith("auth_mechanism: 'Kerberos' is not a known value")
    assert "ExternalAuthoritative" in message


def test_flags_to_parameter():
    assert AUTH.to_parameter(["Tls", "BasicAuth"]) == "Tls, BasicAuth"
    assert AUTH.to_parameter([]) == "None"
    assert AUTH.multi is True


# --- IP_RANGES ----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, canonical", [
    ("10.1.2.3", "10.1.2.3"),
    ("10.1.2.3/32", "10.1.2.3"),
    ("10.1.2.3-10.1.2.3", "10.1.2.3"),
    ("10.0.0.0/24", "10.0.0.0/24"),
    ("10.0.0.0-10.0.0.255", "10.0.0.0/24"),
    ("192.168.1.1/24", "192.168.1.0/24"),
    ("10.0.0.0-10.0.1.255", "10.0.0.0/23"),
    ("10.1.2.3-10.1.2.9", "10.1.2.3-10.1.2.9"),
    ("10.0.0.1-10.0.0.2", "10.0.0.1-10.0.0.2"),
    ("10.0.0.1-10.0.0.255", "10.0.0.1-10.0.0.255"),
    ("0.0.0.0-255.255.255.255", "0.0.0.0/0"),
    ("2001:0DB8::CD3/60", "2001:db8::/60"),
    ("2001:db8:0:0::1", "2001:db8::1"),
    ("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"),
    ("2001:db8::1-2001:db8::9", "2001:db8::1-2001:db8::9"),
    ("fe80::39bd:88f7:6969:d223%11", "fe80::39bd:88f7:6969:d223%11"),
    (" 10.1.2.3 ", "10.1.2.3"),
])
def test_ip_range_forms(typed, canonical):
    assert c.IP_RANGES.from_input([typed], "remote_ip_ranges") == [canonical]


def test_ip_ranges_same_range_typed_two_ways_is_one_value():
    assert c.IP_RANGES.from_input("10.0.0.0-10.0.0.255", "r") == c.IP_RANGES.from_input("10.0.0.0/24", "r")
    assert c.IP_RANGES.from_input(["10.0.0.0/24", "10.0.0.0-10.0.0.255"], "r") == ["10.0.0.0/24"]


def test_ip_ranges_comma_string_and_sorting():
    value = c.IP_RANGES.from_input("::1, 10.0.0.9, 10.0.0.10, 9.0.0.0/8", "r")
    assert value == ["9.0.0.0/8", "10.0.0.9", "10.0.0.10", "::1"]


def test_ip_ranges_from_exchange_capture_forms():
    raw = ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", exchange_object("0.0.0.0-255.255.255.255")]
    assert c.IP_RANGES.from_exchange(raw) == ["0.0.0.0/0", "::/0"]
    assert c.IP_RANGES.from_exchange(raw) == c.IP_RANGES.from_input("0.0.0.0/0, ::/0", "r")
    assert c.IP_RANGES.from_exchange(None) == []


@pytest.mark.parametrize("bad", [
    "10.0.0.0/33", "10.0.0.9-10.0.0.1", "10.0.0.1-::1", "10.0.0.256", "10.0.0.1-10.0.0.2-10.0.0.3",
    "host.example.com", "fe80::1%11-fe80::9", "2001:db8::/129",
])
def test_ip_ranges_reject(bad):
    message = rejects(c.IP_RANGES, ["10.1.2.3", bad], "remote_ip_ranges")
    assert message.startswith("remote_ip_ranges: %r is not an IP range" % bad)


def test_ip_range_low_above_high_says_so():
    assert "low address is above the high address" in rejects(c.IP_RANGES, "10.0.0.9-10.0.0.1")


def test_ip_ranges_to_parameter():
    assert c.IP_RANGES.to_parameter(["10.0.0.0/24", "10.1.2.3"]) == ["10.0.0.0/24", "10.1.2.3"]
    # /0 goes out in the low-high form Exchange itself stores.
    assert c.IP_RANGES.to_parameter(["0.0.0.0/0", "::/0"]) == [
        "0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
    assert c.IP_RANGES.multi is True


# --- BINDINGS -----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, canonical", [
    ("0.0.0.0:25", "0.0.0.0:25"),
    ("10.1.2.3:2525", "10.1.2.3:2525"),
    ("[::]:25", "[::]:25"),
    ("[2001:0db8:0::1]:587", "[2001:db8::1]:587"),
    ("0.0.0.0:0025", "0.0.0.0:25"),
])
def test_binding_forms(typed, canonical):
    assert c.BINDINGS.from_input(typed, "bindings") == [canonical]


def test_bindings_match_exchange_and_sort():
    raw = [exchange_object("[::]:25"), exchange_object("0.0.0.0:25")]
    assert c.BINDINGS.from_exchange(raw) == ["0.0.0.0:25", "[::]:25"]
    assert c.BINDINGS.from_input(["[0::0]:25", "0.0.0.0:25"], "b") == c.BINDINGS.from_exchange(raw)


@pytest.mark.parametrize("bad", ["0.0.0.0", "0.0.0.0:0", "0.0.0.0:65536", ":::25", "[10.0.0.1]:25",
                                 "mail:25", "[::]", "0.0.0.0:x"])
def test_bindings_reject(bad):
    assert rejects(c.BINDINGS, bad, "bindings").startswith("bindings: %r is not a binding" % bad)


# --- BYTE_SIZE ----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, count", [
    (37748736, 37748736),
    ("37748736", 37748736),
    ("36MB", 37748736),
    ("36 MB", 37748736),
    ("36 mb", 37748736),
    ("512KB", 524288),
    ("1GB", 1073741824),
    ("1TB", 1099511627776),
    ("100B", 100),
    ("1.5 MB", 1572864),
    ("36 MB (37,748,736 bytes)", 37748736),
])
def test_byte_size_forms(typed, count):
    assert c.BYTE_SIZE.from_input(typed, "max_message_size") == count


def test_byte_size_user_and_exchange_agree():
    printed = exchange_object("36 MB (37,748,736 bytes)")
    assert c.BYTE_SIZE.from_exchange(printed) == c.BYTE_SIZE.from_input("36MB", "m")
    assert c.BYTE_SIZE.from_exchange(exchange_object("256 KB (262,144 bytes)")) == 262144
    # Culture-grouped digits still read.
    assert c.BYTE_SIZE.from_exchange(exchange_object("36 MB (37.748.736 bytes)")) == 37748736


def test_byte_size_unlimited():
    assert c.BYTE_SIZE.from_input("unlimited", "m") == "Unlimited"
    assert c.BYTE_SIZE.from_exchange(exchange_object("Unlimited")) == "Unlimited"
    rejects(c.ByteSize(), "Unlimited")


@pytest.mark.parametrize("bad", ["36 XB", "MB", "-5", "1.0000001 KB", True, 3.5, "lots"])
def test_byte_size_rejects(bad):
    rejects(c.BYTE_SIZE, bad)


def test_byte_size_bounds_and_parameter():
    kind = c.ByteSize(minimum=65536, maximum=2147483647)
    assert "65536" in rejects(kind, "32KB", "max_message_size")
    assert kind.to_parameter(37748736) == "37748736"


# --- TIMESPAN -----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, canonical", [
    ("00:10:00", "00:10:00"),
    ("0:10:00", "00:10:00"),
    ("1.00:00:00", "1.00:00:00"),
    ("2.03:04:05", "2.03:04:05"),
    (600, "00:10:00"),
    ("600", "00:10:00"),
    (86400, "1.00:00:00"),
    (0, "00:00:00"),
])
def test_timespan_forms(typed, canonical):
    assert c.TIMESPAN.from_input(typed, "connection_timeout") == canonical


def test_timespan_user_and_exchange_agree():
    assert c.TIMESPAN.from_exchange(exchange_object("00:10:00")) == c.TIMESPAN.from_input(600, "t")


@pytest.mark.parametrize("bad", ["24:00:00", "00:60:00", "00:00:60", "10:00", "-1", -1, "1d", True])
def test_timespan_rejects(bad):
    rejects(c.TIMESPAN, bad)


def test_timespan_bounds():
    kind = c.TimeSpan(1, 86400)
    assert kind.from_input("1.00:00:00", "connection_timeout") == "1.00:00:00"
    assert "1.00:00:00" in rejects(kind, "1.00:00:01", "connection_timeout")
    rejects(kind, 0, "connection_timeout")


# --- FQDN ---------------------------------------------------------------------------------------

def test_fqdn_lower_cased_and_matches_exchange():
    assert c.FQDN.from_input("Mail.Contoso.COM.", "fqdn") == "mail.contoso.com"
    assert c.FQDN.from_exchange(exchange_object("WIN-CTD3L0RGEN4.exlab.dom")) == "win-ctd3l0rgen4.exlab.dom"


@pytest.mark.parametrize("bad", ["mail..contoso.com", "-mail.contoso.com", "mail_1.contoso.com",
                                 "m\u00e4il.contoso.com", "a" * 64 + ".com", "*.contoso.com"])
def test_fqdn_rejects(bad):
    assert "is not a DNS name" in rejects(c.FQDN, bad, "fqdn")


# --- SERVER / IDENTITY --------------------------------------------------------------------------

def test_server_is_upper_case_short_name():
    assert c.SERVER.from_input("mail1", "server") == "MAIL1"
    assert c.SERVER.from_input("mail1.contoso.com", "server") == "MAIL1"
    assert c.SERVER.from_exchange(exchange_object("WIN-CTD3L0RGEN4")) == c.SERVER.from_input("win-ctd3l0rgen4", "s")


@pytest.mark.parametrize("bad", ["MAIL 1", "MAIL\\1", "-MAIL"])
def test_server_rejects(bad):
    rejects(c.SERVER, bad, "server")


def test_split_and_join_identity():
    assert c.split_identity("WIN-CTD3L0RGEN4\\Default Frontend WIN-CTD3L0RGEN4") == (
        "WIN-CTD3L0RGEN4", "Default Frontend WIN-CTD3L0RGEN4")
    assert c.join_identity("MAIL1", "Relay") == "MAIL1\\Relay"
    with pytest.raises(ValueError):
        c.split_identity("Relay")


def test_identity_kind():
    assert c.IDENTITY.from_input("mail1\\Anonymous Relay", "identity") == "MAIL1\\Anonymous Relay"
    assert c.IDENTITY.from_exchange(exchange_object("MAIL1\\Anonymous Relay")) == "MAIL1\\Anonymous Relay"
    rejects(c.IDENTITY, "Anonymous Relay", "identity")


# --- TLS_CERTIFICATE_NAME -----------------------------------------------------------------------

def test_tls_name_normalises_both_dns():
    typed = "<I> cn = Contoso CA ,o=Contoso Ltd,C=GB <S>CN=mail.contoso.com,OU = Mail"
    assert c.TLS_CERTIFICATE_NAME.from_input(typed, "tls_certificate_name") == (
        "<I>CN=Contoso CA, O=Contoso Ltd, C=GB<S>CN=mail.contoso.com, OU=Mail")


def test_tls_name_user_and_exchange_agree():
    printed = exchange_object("<I>CN=WIN-CTD3L0RGEN4<S>CN=WIN-CTD3L0RGEN4")
    assert c.TLS_CERTIFICATE_NAME.from_exchange(printed) == c.TLS_CERTIFICATE_NAME.from_input(
        "<I>cn=WIN-CTD3L0RGEN4<S> cn = WIN-CTD3L0RGEN4", "t")


def test_tls_name_keeps_value_case_quotes_and_escapes():
    typed = '<I>CN=Root, O="Contoso, Inc."<S>CN=a\\, b+OU=x , L=Trailing\\ '
    assert c.TLS_CERTIFICATE_NAME.from_input(typed, "t") == (
        '<I>CN=Root, O="Contoso, Inc."<S>CN=a\\, b+OU=x, L=Trailing\\ ')


def test_tls_certificate_name_helper():
    assert c.tls_certificate_name("CN=R3, O=Let's Encrypt, C=US", "CN=mail.contoso.com") == (
        "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com")
    with pytest.raises(ValueError):
        c.tls_certificate_name("", "CN=x")


@pytest.mark.parametrize("value", [None, ""])
def test_tls_name_empty_is_none(value):
    assert c.TLS_CERTIFICATE_NAME.from_input(value, "t") is None
    assert c.TLS_CERTIFICATE_NAME.from_exchange(value) is None


@pytest.mark.parametrize("bad", ["CN=mail.contoso.com", "<I>CN=x", "<I><S>CN=x", "<I>CN=x<S>mail",
                                 '<I>CN="open<S>CN=x', "<I>CN=x<S>CN="])
def test_tls_name_rejects(bad):
    assert "is not a TLS certificate name" in rejects(c.TLS_CERTIFICATE_NAME, bad, "tls_certificate_name")


@pytest.mark.parametrize("left, right, same", [
    ("Default Frontend EX01", "default frontend ex01", True),
    ("Relay Ärger", "RELAY ärger", True),
    ("Relay k", "Relay \u212a", False),  # Kelvin sign: lower() is k, Windows' upper case of k is K
    ("Relay s", "Relay \u017f", False),  # long s: upper() is S
    ("Straße", "STRASSE", False),
    ("Relay", None, False),
])
def test_same_name_only_where_windows_ignore_case_agrees(left, right, same):
    # A receive connector read under the Get- page's Caution is the asked one only by this comparison.
    assert c.same_name(left, right) is same
