"""The lab's parsing and printing of Exchange values (exchange_lab/exchange/values.py)."""
import pytest

from exchange_lab.exchange.values import (
    EnumSpec, ValueFormatError, format_byte_size, format_ipv6, format_ipvx, format_timespan, parse_binding,
    parse_byte_size, parse_certificate_name, parse_ip_range, parse_timespan, parse_unlimited,
)


@pytest.mark.parametrize("typed, printed, range_format, lower, upper, size", [
    # the two forms the E19 capture shows
    ("0.0.0.0-255.255.255.255", "0.0.0.0-255.255.255.255", "LoHi", "0.0.0.0", "255.255.255.255", "::1:0:0"),
    ("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "LoHi", "::",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("10.1.2.3", "10.1.2.3", "SingleAddress", "10.1.2.3", "10.1.2.3", "::1"),
    ("10.0.0.5/24", "10.0.0.0/24", "CIDR", "10.0.0.0", "10.0.0.255", "::100"),
    ("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9", "LoHi", "10.0.0.1", "10.0.0.9", "::9"),
    ("10.1.0.0/16", "10.1.0.0/16", "CIDR", "10.1.0.0", "10.1.255.255", "0.1.0.0"),
    ("192.168.1.0(255.255.255.0)", "192.168.1.0(255.255.255.0)", "Netmask", "192.168.1.0", "192.168.1.255", "::100"),
    ("2001:0DB8::CD3/60", "2001:db8::/60", "CIDR", "2001:db8::", "2001:db8:0:f:ffff:ffff:ffff:ffff", "0:0:0:10::"),
    ("::1", "::1", "SingleAddress", "::1", "::1", "::1"),
])
def test_remote_ranges_print_back_like_exchange(typed, printed, range_format, lower, upper, size):
    value = parse_ip_range(typed)
    assert (str(value), value.range_format) == (printed, range_format)
    assert (format_ipvx(value.lower), format_ipvx(value.upper), format_ipvx(value.size)) == (lower, upper, size)


def test_ranges_compare_by_bounds_not_by_notation():
    assert parse_ip_range("10.0.0.1/32") == parse_ip_range("10.0.0.1")
    assert parse_ip_range("10.0.0.0/24") == parse_ip_range("10.0.0.0-10.0.0.255")
    assert parse_ip_range("10.0.0.0/24") != parse_ip_range("10.0.0.0/25")


def test_partial_overlap_excludes_containment():
    big, small, straddling = (parse_ip_range(t) for t in ("10.0.0.0/24", "10.0.0.7", "10.0.0.200-10.0.1.5"))
    assert not big.partially_overlaps(small) and not small.partially_overlaps(big)
    assert big.partially_overlaps(straddling) and straddling.partially_overlaps(big)


@pytest.mark.parametrize("bad", ["10.0.0", "10.0.0.256", "x", "10.0.0.9-10.0.0.1", "10.0.0.0/33",
                                 "10.0.0.1-::1", "10.0.0.0(255.0.255.0)", "-10.0.0.1"])
def test_bad_ranges_are_refused(bad):
    with pytest.raises(ValueFormatError):
        parse_ip_range(bad)


@pytest.mark.parametrize("typed, printed", [
    ("0.0.0.0:25", "0.0.0.0:25"), ("[::]:2525", "[::]:2525"), (":587", "0.0.0.0:587"),
    ("10.1.1.1:25:", "10.1.1.1:25"), ("[fe80::1%3]:25", "[fe80::1%3]:25"),
])
def test_bindings_print_back_like_ip_endpoints(typed, printed):
    assert str(parse_binding(typed)) == printed


@pytest.mark.parametrize("bad", ["10.0.0.1", "10.0.0.1:70000", "10.0.0.1:x", "nohost:25"])
def test_bad_bindings_are_refused(bad):
    with pytest.raises(ValueFormatError):
        parse_binding(bad)


@pytest.mark.parametrize("value, words", [
    (0, "::"), (1, "::1"), (0x100, "::100"), (0x1_0000_0000, "::1:0:0"),
    (0xFFFF_0A00_0001, "::ffff:10.0.0.1"), (0x0A00_0001, "::10.0.0.1"),
    (0x2001_0DB8 << 96, "2001:db8::"), ((0x2001 << 112) | 1, "2001::1"),
    # two equally long zero runs: the first one is compressed
    ((1 << 112) | (1 << 64) | (1 << 16) | 1, "1::1:0:0:1:1"),
])
def test_ipv6_prints_like_dotnet(value, words):
    assert format_ipv6(value) == words


@pytest.mark.parametrize("num_bytes, printed", [
    (37748736, "36 MB (37,748,736 bytes)"), (262144, "256 KB (262,144 bytes)"),
    (10240000, "9.766 MB (10,240,000 bytes)"), (100, "100 B (100 bytes)"),
    (2147483647, "2 GB (2,147,483,647 bytes)"),
])
def test_byte_sizes_print_like_exchange(num_bytes, printed):
    assert format_byte_size(num_bytes) == printed
    assert parse_byte_size(printed) == num_bytes


@pytest.mark.parametrize("typed, num_bytes", [("10MB", 10485760), ("64 KB", 65536), ("1gb", 1073741824),
                                              ("1234", 1234), (5000, 5000), ("1.5MB", 1572864)])
def test_byte_sizes_parse_units(typed, num_bytes):
    assert parse_byte_size(typed) == num_bytes


def test_unlimited_and_numbers():
    assert parse_unlimited("unlimited") is None and parse_unlimited("Unlimited") is None
    assert parse_unlimited("20") == 20 and parse_unlimited(20) == 20
    with pytest.raises(ValueFormatError):
        parse_unlimited("lots")


@pytest.mark.parametrize("typed, printed", [("00:10:00", "00:10:00"), ("1.00:00:00", "1.00:00:00"),
                                            ("00:05", "00:05:00"), ("2", "2.00:00:00"), ("00:00:05.5", "00:00:05.5000000")])
def test_timespans(typed, printed):
    assert format_timespan(parse_timespan(typed)) == printed


def test_bad_timespan():
    with pytest.raises(ValueFormatError, match="not recognized as a valid TimeSpan"):
        parse_timespan("ten minutes")


FLAGS = EnumSpec("X.AuthMechanisms", (("None", 0), ("Tls", 1), ("Integrated", 2), ("BasicAuth", 4),
                                      ("BasicAuthRequireTLS", 8), ("ExchangeServer", 16)), flags=True)


@pytest.mark.parametrize("typed", ["Tls, BasicAuth", "tls,basicauth", ["Tls", "BasicAuth"], 5, "5"])
def test_flags_accept_every_powershell_form(typed):
    assert FLAGS.parse(typed) == 5


def test_flags_print_like_dotnet():
    assert FLAGS.format(31) == "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"
    assert FLAGS.format(0) == "None"


def test_unknown_enum_name_lists_the_valid_ones():
    with pytest.raises(ValueFormatError) as failure:
        FLAGS.parse("Tls, Kerberos")
    assert "Unable to match the identifier name Kerberos" in str(failure.value)
    assert "None, Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer" in str(failure.value)


def test_certificate_names():
    name = parse_certificate_name("<I>CN=R3,O=Let's Encrypt,C=US<S>CN=mail.contoso.com")
    assert (name.issuer, name.subject, name.subject_common_name) == (
        "CN=R3, O=Let's Encrypt, C=US", "CN=mail.contoso.com", "mail.contoso.com")
    assert str(name) == "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com"
    assert name.matches("cn=r3, o=let's encrypt, c=us", "CN=MAIL.contoso.com")


@pytest.mark.parametrize("bad", ["<I><S>", "mail.contoso.com", "<S>O=NoCommonName", "<S>CN=not a domain"])
def test_bad_certificate_names(bad):
    with pytest.raises(ValueFormatError, match="isn't a valid Certificate Identifier"):
        parse_certificate_name(bad)
