"""The variant registry and `exchange-lab serve --variant`."""
import pytest

from exchange_lab import variants
from exchange_lab.cli import build_parser


def test_a_known_variant_parses_to_true():
    assert variants.parse("identity-miss-returns-all") == ("identity-miss-returns-all", True)


def test_an_unknown_variant_is_refused_with_the_known_ones():
    with pytest.raises(ValueError) as raised:
        variants.parse("identity-miss-returns-some")
    assert "identity-miss-returns-all" in str(raised.value) and "literal-identities" in str(raised.value)


def test_a_variant_without_a_value_refuses_one():
    with pytest.raises(ValueError, match="takes no value"):
        variants.parse("literal-identities=1")


def test_a_parametrised_variant_needs_and_parses_its_value(monkeypatch):
    monkeypatch.setitem(variants.VARIANTS, "lag", variants.Variant("lag", "a test variant", "none", variants.seconds))
    assert variants.parse("lag=2.5") == ("lag", 2.5)
    with pytest.raises(ValueError, match="needs a value"):
        variants.parse("lag")
    with pytest.raises(ValueError, match="between 0 and 600"):
        variants.parse("lag=601")


def test_playing_activates_for_a_block_only():
    assert not variants.is_active("literal-identities")
    with variants.playing({"literal-identities": True}):
        assert variants.is_active("literal-identities")
        assert variants.value("literal-identities") is True
        assert variants.active() == {"literal-identities": True}
    assert not variants.is_active("literal-identities")
    assert variants.value("literal-identities", "off") == "off"


def test_lab_code_asking_for_a_misspelt_variant_fails():
    with pytest.raises(KeyError):
        variants.is_active("literal-identity")


def test_every_variant_names_its_source():
    assert all(variant.description and variant.source for variant in variants.VARIANTS.values())


def test_serve_takes_repeated_variants_and_refuses_unknown_ones(capsys):
    args = build_parser().parse_args(["serve", "--state", "x", "--variant", "identity-miss-returns-all",
                                      "--variant", "literal-identities"])
    assert dict(args.variant) == {"identity-miss-returns-all": True, "literal-identities": True}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--state", "x", "--variant", "nope"])
    assert "known variants" in capsys.readouterr().err


def test_lab_json_lists_the_active_variants(lab_process):
    process = lab_process("--variant", "literal-identities")
    assert process.wait_ready()["variants"] == {"literal-identities": True}


def test_lab_json_lists_no_variant_by_default(lab):
    assert lab["variants"] == {}
