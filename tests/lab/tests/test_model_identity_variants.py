"""How identities address receive connectors and their ACEs, by default and under each variant."""
import pytest

from exchange_lab import variants
from model_lab import SERVER, Lab

FRONTEND = f"{SERVER}\\Default Frontend {SERVER}"
MISSING = f"{SERVER}\\No Such Connector"


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


def names(objects) -> set[str]:
    return {str(obj.Name) for obj in objects}


def all_names(lab) -> set[str]:
    return names(lab.ok("Get-ReceiveConnector"))


def test_by_default_an_identity_that_matches_nothing_is_an_error(lab):
    error = lab.error("Get-ReceiveConnector", Identity=MISSING)
    assert error.exception_type.endswith(".ManagementObjectNotFoundException")
    assert lab.error("Get-ADPermission", Identity=MISSING).exception_type.endswith(
        ".ManagementObjectNotFoundException")


def test_identity_miss_returns_all_gives_every_connector(lab):
    with variants.playing({"identity-miss-returns-all": True}):
        assert names(lab.ok("Get-ReceiveConnector", Identity=MISSING)) == all_names(lab)
        # A name that exists still returns that one connector only.
        assert names(lab.ok("Get-ReceiveConnector", Identity=FRONTEND)) == {f"Default Frontend {SERVER}"}


def test_identity_miss_returns_all_gives_the_aces_of_every_connector(lab):
    one = lab.ok("Get-ADPermission", Identity=FRONTEND)
    with variants.playing({"identity-miss-returns-all": True}):
        every = lab.ok("Get-ADPermission", Identity=MISSING)
    assert len(every) > len(one)
    assert {str(ace.Identity) for ace in every} >= {FRONTEND, f"{SERVER}\\Client Frontend {SERVER}"}


def test_writes_never_fall_back_to_all_objects(lab):
    with variants.playing({"identity-miss-returns-all": True}):
        error = lab.error("Remove-ReceiveConnector", Identity=MISSING, Confirm=False)
    assert error.exception_type.endswith(".ManagementObjectNotFoundException")
    assert lab.counters()["writes"] == 0


def test_by_default_a_star_is_a_wildcard(lab):
    assert names(lab.ok("Get-ReceiveConnector", Identity=f"{SERVER}\\Default Front*")) == {
        f"Default Frontend {SERVER}"}


def test_literal_identities_read_a_star_as_itself(lab):
    with variants.playing({"literal-identities": True}):
        error = lab.error("Get-ReceiveConnector", Identity=f"{SERVER}\\Default Front*")
        assert error.exception_type.endswith(".ManagementObjectNotFoundException")
        assert names(lab.ok("Get-ReceiveConnector", Identity=FRONTEND.upper())) == {f"Default Frontend {SERVER}"}


def test_question_mark_and_bracket_are_never_wildcards(lab):
    for pattern in (f"{SERVER}\\Default Frontend WIN-CTD3L0RGEN?", f"{SERVER}\\Default Frontend [W]IN-CTD3L0RGEN4"):
        assert lab.error("Get-ReceiveConnector", Identity=pattern).exception_type.endswith(
            ".ManagementObjectNotFoundException")
