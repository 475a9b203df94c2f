"""The endpoint: pipelines, command resolution, parameter binding, persistence, counters, locking."""
import threading

import pytest

from exchange_lab.exchange.api import Command
from exchange_lab.exchange.store import DATA_DIR, STORE_FILE
from model_lab import SERVER, Lab, assert_binding_error, texts

RELAY = dict(Name="Relay", TransportRole="FrontendTransport", Custom=True, Bindings="0.0.0.0:25",
             RemoteIPRanges="10.1.2.3")


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


def test_unknown_cmdlet_is_command_not_found_and_nothing_runs(lab):
    result = lab.pipeline(Command("New-ReceiveConnector", dict(RELAY)), Command("Frobnicate-Thing"))
    (error,) = result.errors
    assert (error.exception_type, error.category, error.error_id) == (
        "System.Management.Automation.CommandNotFoundException", "ObjectNotFound", "CommandNotFoundException")
    assert error.message.startswith("The term 'Frobnicate-Thing' is not recognized as the name of a cmdlet, "
                                    "function, script file, or operable program.")
    assert not result.output and lab.counters() == {"write_calls": 0, "writes": 0}
    assert len(lab.ok("Get-ReceiveConnector")) == 5


def test_cmdlet_and_parameter_names_ignore_case_and_take_prefixes(lab):
    assert texts(lab.ok("get-receiveconnector", identity=f"Client Frontend {SERVER}")) == [
        f"{SERVER}\\Client Frontend {SERVER}"]
    assert len(lab.ok("Get-ReceiveConnector", Ident=f"Client Frontend {SERVER}")) == 1
    error = lab.error("Set-ReceiveConnector", Identity="x", Max=5)
    assert_binding_error(error, "AmbiguousParameter", "Set-ReceiveConnector")
    assert error.message.startswith("Parameter cannot be processed because the parameter name 'Max' is ambiguous.")


def test_common_parameters_are_accepted(lab):
    assert len(lab.ok("Get-ReceiveConnector", ErrorAction="Stop", WarningAction="SilentlyContinue",
                      Verbose=False, DomainController=SERVER)) == 5


def test_too_many_positional_arguments(lab):
    error = lab.error("Get-ReceiveConnector", "one", "two")
    assert_binding_error(error, "PositionalParameterNotFound", "Get-ReceiveConnector")
    assert error.message == "A positional parameter cannot be found that accepts argument 'two'."


def test_pipeline_passes_output_on(lab):
    result = lab.pipeline(Command("New-ReceiveConnector", dict(RELAY)),
                          Command("Set-ReceiveConnector", {"Comment": "made in one pipeline"}))
    assert not result.errors and not result.output
    assert str(lab.connector("Relay").Comment) == "made in one pipeline"
    assert lab.counters() == {"write_calls": 2, "writes": 2}


def test_a_downstream_cmdlet_without_input_does_nothing(lab):
    result = lab.pipeline(Command("Get-ReceiveConnector", {"Identity": "Nope"}),
                          Command("Set-ReceiveConnector", {"Enabled": False}))
    (error,) = result.errors
    assert error.exception_type.endswith("ManagementObjectNotFoundException") and "GetReceiveConnector" in error.error_id
    assert lab.counters() == {"write_calls": 1, "writes": 0}


def test_a_binding_error_stops_the_pipeline(lab):
    result = lab.pipeline(Command("Get-ReceiveConnector"), Command("Set-ReceiveConnector", {"Enabled": "nope"}))
    assert len(result.errors) == 1 and not result.output
    assert {str(c.Enabled) for c in lab.ok("Get-ReceiveConnector")} == {"True"}


def test_output_reaches_a_client_as_deserialized_exchange_types(lab):
    (relay,) = lab.ok("New-ReceiveConnector", **RELAY)
    assert relay.AuthMechanism.PSObject.type_names[0] == (
        "Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms")
    assert relay.Bindings.PSObject.type_names[0].startswith(
        "Deserialized.Microsoft.Exchange.Data.MultiValuedProperty`1[[Microsoft.Exchange.Data.IPBinding")
    assert relay.MaxMessageSize.PSObject.type_names[0] == "Deserialized.Microsoft.Exchange.Data.ByteQuantifiedSize"
    assert relay.RemoteIPRanges[0].LowerBound == "10.1.2.3" and relay.RemoteIPRanges[0].Size == "::1"


def test_state_persists_across_reopen(tmp_path):
    first = Lab(tmp_path)
    first.ok("New-ReceiveConnector", **RELAY)
    first.ok("Set-ReceiveConnector", Identity=f"Client Frontend {SERVER}", Fqdn="mail.contoso.com")
    first.ok("Remove-ReceiveConnector", Identity=f"Outbound Proxy Frontend {SERVER}", Confirm=False)
    assert not list((tmp_path / "state").glob("*.tmp"))
    again = Lab(tmp_path)
    assert texts(again.ok("Get-ReceiveConnector")) == texts(first.ok("Get-ReceiveConnector"))
    assert str(again.connector(f"Client Frontend {SERVER}").Fqdn) == "mail.contoso.com"
    assert texts(again.connector("Relay").RemoteIPRanges) == ["10.1.2.3"]
    assert str(again.connector("Relay").AuthMechanism) == "Tls"
    assert again.counters() == {"write_calls": 3, "writes": 3}  # the counters file persists too


def test_reset_goes_back_to_the_seeds(tmp_path):
    Lab(tmp_path).ok("New-ReceiveConnector", **RELAY)
    assert len(Lab(tmp_path, reset=True).ok("Get-ReceiveConnector")) == 5


def test_explicit_seeds_replace_the_defaults(tmp_path):
    only_connectors = Lab(tmp_path, [DATA_DIR / "E19-GetReceiveConnector.xml"])
    assert len(only_connectors.ok("Get-ReceiveConnector")) == 5
    # without the certificate captures no certificate exists on the server
    error = only_connectors.error("Set-ReceiveConnector", Identity=f"Client Frontend {SERVER}",
                                  TlsCertificateName=f"<I>CN={SERVER}<S>CN={SERVER}")
    assert error.exception_type.endswith("TlsCertificateNameNotFoundException")


def test_store_file_holds_all_seeded_kinds(lab):
    text = (lab.directory / "state" / STORE_FILE).read_text(encoding="utf-8")
    for type_name in ("Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector",
                      "Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate",
                      "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain"):
        assert f"<T>{type_name}</T>" in text
    assert "Deserialized." not in text


def test_counters_count_calls_and_changes(lab):
    lab.run("New-ReceiveConnector", **RELAY)                                     # changes
    lab.run("New-ReceiveConnector", **RELAY)                                     # fails: exists
    lab.run("Set-ReceiveConnector", Identity="Relay", Comment="")               # no-op
    lab.run("Set-ReceiveConnector", Identity="Relay", Comment="x")              # changes
    lab.run("Set-ReceiveConnector", Identity="Relay", MaxHopCount="x")          # binding error
    lab.run("Get-ReceiveConnector")                                              # not a write
    lab.run("Remove-ReceiveConnector", Identity="Relay")                         # cannot confirm
    lab.run("Remove-ReceiveConnector", Identity="Relay", Confirm=False)          # changes
    assert lab.counters() == {"write_calls": 7, "writes": 3}


def test_concurrent_pipelines_are_serialized(lab):
    failures = []

    def create(index: int) -> None:
        result = lab.run("New-ReceiveConnector", Name=f"Relay {index}", TransportRole="FrontendTransport",
                         Custom=True, Bindings="0.0.0.0:25", RemoteIPRanges=f"10.2.{index}.1")
        failures.extend(result.errors)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures and not any(t.is_alive() for t in threads)
    assert len(lab.ok("Get-ReceiveConnector", Identity="Relay *")) == 8
    assert lab.counters() == {"write_calls": 8, "writes": 8}
    assert len(Lab(lab.directory).ok("Get-ReceiveConnector")) == 13
