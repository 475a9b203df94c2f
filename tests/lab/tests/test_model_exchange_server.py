"""Get-ExchangeServer: the captured ExchangeServer placed on the lab's servers, and its identity rules
(Get-ExchangeServer.md), by default and under the variants."""
import re

import pytest
from pypsrp.powershell import PowerShell
from psrpcore.types import serialize_clixml

from exchange_lab import variants
from exchange_lab.exchange.exchange_server import CAPTURE, STATUS_PROPERTIES
from exchange_lab.exchange.server_name import renamed_seeds
from exchange_lab.exchange.store import DEFAULT_SEEDS
from model_lab import DC, SERVER, Lab, assert_binding_error, assert_task_error, second_server_seed
from test_transport_process import open_pool

FQDN = f"{SERVER}.exlab.dom"
SERVER_DN = (f"CN={SERVER},CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,"
             "CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=exlab,DC=dom")
LEGACY_DN = f"/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn={SERVER}"
CAPTURED_GUID = "3c5ebdaf-1885-4f22-8f60-0e8c1667abed"


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


@pytest.fixture
def two_servers(tmp_path):
    """The E19 seeds plus the same connectors on WIN-SECOND."""
    return Lab(tmp_path, [*DEFAULT_SEEDS, second_server_seed(tmp_path)])


def names(objects) -> list[str]:
    return [str(obj.Name) for obj in objects]


def test_the_server_is_the_capture_with_the_connectors_server_names(lab):
    (server,) = lab.ok("Get-ExchangeServer", Identity=SERVER)
    assert server.PSObject.type_names[0] == "Deserialized.Microsoft.Exchange.Data.Directory.Management.ExchangeServer"
    assert (str(server.Name), str(server.Fqdn), str(server.Domain)) == (SERVER, FQDN, "exlab.dom")
    assert str(server.DistinguishedName) == SERVER_DN
    assert str(server.ExchangeLegacyDN) == LEGACY_DN
    assert str(server.Identity) == SERVER and str(server.OriginatingServer) == DC
    # As captured: the build, the role, the GUID.
    assert str(server.AdminDisplayVersion) == "Version 15.2 (Build 986.5)"
    assert str(server.ServerRole) == "Mailbox"
    assert str(server.Guid) == CAPTURED_GUID


def test_no_name_of_the_captured_machine_is_left_outside_the_blobs(lab):
    (server,) = lab.run("Get-ExchangeServer").output
    text = re.sub(r'<BA N="[^"]*">[^<]*</BA>', "", serialize_clixml(server, None))
    assert not re.search("solo", text, re.IGNORECASE)
    assert "PSComputerName" not in text  # a server sends no client-side notes


@pytest.mark.parametrize("identity", [SERVER, SERVER.lower(), FQDN, FQDN.upper(), CAPTURED_GUID, SERVER_DN.lower(),
                                      LEGACY_DN])
def test_identity_is_any_value_that_identifies_the_server(lab, identity):
    assert names(lab.ok("Get-ExchangeServer", identity)) == [SERVER]


def test_an_identity_that_matches_nothing_is_an_error(lab):
    error = lab.error("Get-ExchangeServer", Identity="NO-SUCH-SERVER")
    assert_task_error(error, "ManagementObjectNotFoundException", "GetExchangeServer")
    assert error.message == f"The operation couldn't be performed because object 'NO-SUCH-SERVER' couldn't be found on '{DC}'."


def test_no_identity_or_a_null_identity_returns_every_server(two_servers):
    assert sorted(names(two_servers.ok("Get-ExchangeServer"))) == [SERVER, "WIN-SECOND"]
    assert sorted(names(two_servers.ok("Get-ExchangeServer", Identity=None))) == [SERVER, "WIN-SECOND"]
    assert names(two_servers.ok("Get-ExchangeServer", Identity="win-second")) == ["WIN-SECOND"]


def test_identity_miss_returns_all_gives_every_server(two_servers):
    with variants.playing({"identity-miss-returns-all": True}):
        assert sorted(names(two_servers.ok("Get-ExchangeServer", Identity="NO-SUCH-SERVER"))) == [SERVER, "WIN-SECOND"]
        assert names(two_servers.ok("Get-ExchangeServer", Identity=SERVER)) == [SERVER]


def test_a_star_is_a_wildcard_by_default_and_itself_under_literal_identities(two_servers):
    assert sorted(names(two_servers.ok("Get-ExchangeServer", Identity="WIN-*"))) == [SERVER, "WIN-SECOND"]
    with variants.playing({"literal-identities": True}):
        error = two_servers.error("Get-ExchangeServer", Identity="WIN-*")
    assert error.exception_type.endswith(".ManagementObjectNotFoundException")


def test_status_fills_the_status_properties(lab):
    (plain,) = lab.ok("Get-ExchangeServer", SERVER)
    (status,) = lab.ok("Get-ExchangeServer", SERVER, Status=True)
    assert all(getattr(plain, name) is None for name in STATUS_PROPERTIES)
    assert list(status.CurrentDomainControllers) == [DC] and status.ErrorReportingEnabled is True


def test_domain_filters_and_excludes_identity(two_servers):
    assert sorted(names(two_servers.ok("Get-ExchangeServer", Domain="EXLAB.dom"))) == [SERVER, "WIN-SECOND"]
    assert two_servers.ok("Get-ExchangeServer", Domain="contoso.com") == []
    error = two_servers.error("Get-ExchangeServer", Identity=SERVER, Domain="exlab.dom")
    assert_binding_error(error, "AmbiguousParameterSet", "Get-ExchangeServer")


def test_a_renamed_lab_server_is_the_exchange_server(tmp_path):
    seeds = renamed_seeds(DEFAULT_SEEDS, "LAB-SRV-07", tmp_path / "renamed")
    lab = Lab(tmp_path, seeds)
    (server,) = lab.ok("Get-ExchangeServer", "lab-srv-07")
    assert (str(server.Name), str(server.Fqdn)) == ("LAB-SRV-07", "LAB-SRV-07.exlab.dom")
    assert lab.error("Get-ExchangeServer", SERVER).exception_type.endswith(".ManagementObjectNotFoundException")


def test_the_capture_is_the_one_source_names(lab):
    assert "SOLO-E19A" in CAPTURE.read_text(encoding="utf-8-sig")
    assert "E19-GetExchangeServer.xml" in (CAPTURE.parent / "SOURCE.md").read_text()


def test_a_pypsrp_client_reads_the_server_over_the_transport(lab_process):
    endpoint = lab_process().wait_ready()["psrp"]
    with open_pool(endpoint) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-ExchangeServer").add_parameter("Identity", SERVER)
        (server,) = ps.invoke()
        assert not ps.had_errors
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-ExchangeServer").add_parameter("Identity", "NO-SUCH-SERVER")
        assert ps.invoke() == []
        (error,) = ps.streams.error  # written, not thrown: as a Get- task's not found
    assert str(server.adapted_properties["Fqdn"]) == FQDN
    assert "NO-SUCH-SERVER" in str(error.exception) and "GetExchangeServer" in error.fq_error
