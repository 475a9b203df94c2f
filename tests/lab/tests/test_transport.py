"""The lab's remote PowerShell endpoint, driven by an unmodified pypsrp client.

The listeners run in this process with a fake Exchange model (FakeEndpoint)
so the tests see exactly what the transport sends to the model and what the
client gets back.
"""
import threading
import time
import uuid
import xml.etree.ElementTree as ET

import certifi
import pytest
import requests
from psrpcore.types import PSCustomObject
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.wsman import NAMESPACES, SelectorSet, WSMan

from exchange_lab.exchange.api import CmdletError, PipelineResult
from exchange_lab.stats import Stats
from exchange_lab.transport import start_remote_powershell

THING_TYPES = ["Lab.Test.Thing", "Lab.Test.ThingBase", "System.Object"]
NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"


class FakeEndpoint:
    """Stands in for the Exchange model: records every call, answers a few fake cmdlets."""

    def __init__(self):
        self.calls: list[tuple[list, str]] = []
        self.release = threading.Event()  # ends Wait-LabSignal
        self._lock = threading.Lock()

    def invoke(self, commands, user):
        with self._lock:
            self.calls.append((commands, user))
        handler = getattr(self, "_" + commands[0].name.replace("-", "_").lower(), self._unknown)
        return handler(commands[0].parameters)

    def calls_named(self, name):
        with self._lock:
            return [(commands, user) for commands, user in self.calls if commands[0].name == name]

    @staticmethod
    def _thing(index: int, payload: str) -> PSCustomObject:
        thing = PSCustomObject(Index=index, Payload=payload)
        thing.PSObject.type_names = list(THING_TYPES)
        return thing

    def _get_labthing(self, params):
        count, size = int(params.get("Count", 1)), int(params.get("Size", 8))
        tag = str(params.get("Tag", "x"))
        return PipelineResult(output=[self._thing(i, (tag * size)[:size]) for i in range(count)])

    def _get_laberror(self, params):
        error = CmdletError(
            "The operation couldn't be performed because object 'Nope' couldn't be found.",
            NOT_FOUND, "ObjectNotFound", "7D1B7A6B,Microsoft.Exchange.Management.Lab.GetLabError",
            target="Nope", cmdlet="Get-LabError",
        )
        return PipelineResult(output=[self._thing(0, "before")], errors=[error], warnings=["Be careful."])

    def _wait_labseconds(self, params):
        time.sleep(float(params.get("Seconds", 1)))
        return PipelineResult(output=[self._thing(0, "waited")])

    def _wait_labsignal(self, params):
        self.release.wait(30)
        return PipelineResult(output=[self._thing(0, "released")])

    def _unknown(self, params):
        raise AssertionError("the transport called the model for an unexpected command")


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    # One in-process lab per module: NTLM_USER_FILE is process-wide.
    state = tmp_path_factory.mktemp("transport-state")
    fake = FakeEndpoint()
    stats = Stats(state / "stats.json")
    server = start_remote_powershell(state, fake, stats)
    server.fake, server.stats = fake, stats
    yield server
    server.stop()


def ntlm_wsman(remote, **kwargs) -> WSMan:
    options = dict(port=remote.http.port, path="PowerShell", ssl=False, auth="ntlm",
                   username=remote.credentials.username, password=remote.credentials.password)
    options.update(kwargs)
    return WSMan("127.0.0.1", **options)


def basic_wsman(remote, **kwargs) -> WSMan:
    options = dict(port=remote.https.port, path="PowerShell", ssl=True, auth="basic",
                   username=remote.credentials.username, password=remote.credentials.password,
                   cert_validation=str(remote.ca_path))
    options.update(kwargs)
    return WSMan("127.0.0.1", **options)


def exchange_pool(wsman) -> RunspacePool:
    return RunspacePool(wsman, configuration_name="Microsoft.Exchange")


def delta(stats, before, name):
    return stats.snapshot().get(name, 0) - before.get(name, 0)


def negotiate_wsman(remote, **kwargs) -> WSMan:
    """pypsrp's default auth: Negotiate, which settles on NTLM as the server offers only that."""
    return ntlm_wsman(remote, auth="negotiate", **kwargs)


@pytest.mark.parametrize("make_wsman", [ntlm_wsman, negotiate_wsman, basic_wsman],
                         ids=["ntlm-http", "negotiate-http", "basic-https"])
def test_cmdlet_with_parameters_returns_typed_objects(remote, make_wsman):
    tag = f"tag-{uuid.uuid4().hex[:8]}"
    with exchange_pool(make_wsman(remote)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabThing").add_parameter("Count", 3).add_parameter("Tag", tag)
        ps.add_parameter("Names", ["a", "b"]).add_parameter("Force").add_argument("positional")
        output = ps.invoke()

    assert not ps.had_errors and not ps.streams.error
    assert [thing.types for thing in output] == [THING_TYPES] * 3
    assert [thing.extended_properties["Index"] for thing in output] == [0, 1, 2]
    assert output[0].extended_properties["Payload"] == tag[:8]
    commands, user = [c for c in remote.fake.calls_named("Get-LabThing") if c[0][0].parameters.get("Tag") == tag][0]
    assert user == "LAB\\exadmin"
    assert len(commands) == 1
    # A parameter without value is -Force:$null to PowerShell (bound with its argument), not a switch.
    assert commands[0].parameters == {"Count": 3, "Tag": tag, "Names": ["a", "b"], "Force": None}
    assert commands[0].arguments == ["positional"]


def test_ntlm_traffic_is_encrypted(remote):
    wsman = ntlm_wsman(remote)
    secret = f"secret-{uuid.uuid4().hex}"
    seen = []
    with exchange_pool(wsman) as pool:
        # Observe the real HTTP responses (requests' public hook API).
        wsman.transport.session.hooks["response"].append(
            lambda response, **_: seen.append((response.headers.get("Content-Type", ""), response.content)))
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabThing").add_parameter("Tag", secret).add_parameter("Size", len(secret))
        assert ps.invoke()[0].extended_properties["Payload"] == secret
    assert seen
    for content_type, body in seen:
        assert content_type.startswith("multipart/encrypted;")
        assert b"ReceiveResponse" not in body and secret.encode() not in body


def test_error_records_and_warnings_reach_the_client(remote):
    with exchange_pool(ntlm_wsman(remote)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabError")
        output = ps.invoke()

    assert [thing.extended_properties["Payload"] for thing in output] == ["before"]
    assert [warning.message for warning in ps.streams.warning] == ["Be careful."]
    assert not ps.had_errors  # a non-terminating error record
    [error] = ps.streams.error
    assert error.fq_error == "7D1B7A6B,Microsoft.Exchange.Management.Lab.GetLabError"
    assert error.category == 13  # ErrorCategory.ObjectNotFound
    assert error.reason == "ManagementObjectNotFoundException"
    assert error.activity == "Get-LabError"
    assert error.target_name == "Nope" and error.target_type == "String"
    assert error.message == "ObjectNotFound: (Nope:String) [Get-LabError], ManagementObjectNotFoundException"
    assert error.exception.adapted_properties["Message"].startswith("The operation couldn't be performed")
    assert error.exception.types[0] == NOT_FOUND
    assert str(error.exception).startswith(NOT_FOUND + ": ")


@pytest.mark.parametrize("build", [
    lambda ps: ps.add_script("Get-Date"),
    lambda ps: ps.add_cmdlet("Get-LabThing; Remove-Item C:\\"),
    lambda ps: ps.add_cmdlet("$env:USERNAME"),
], ids=["script", "statement-in-name", "variable"])
def test_scripts_are_refused_like_a_no_language_endpoint(remote, build):
    calls_before = len(remote.fake.calls)
    with exchange_pool(basic_wsman(remote)) as pool:
        ps = PowerShell(pool)
        build(ps)
        output = ps.invoke()

        assert output == []
        assert ps.had_errors and ps.state == PSInvocationState.FAILED
        [error] = ps.streams.error
        assert error.fq_error == "ScriptsNotAllowed"
        assert error.reason == "ParseException"
        assert error.category == 17  # ErrorCategory.ParserError
        assert error.exception.adapted_properties["Message"] == (
            "The syntax is not supported by this runspace. This might be because it is in no-language mode.")

        # The pool stays usable after a refusal.
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabThing")
        assert len(ps.invoke()) == 1
    assert all(commands[0].name == "Get-LabThing" for commands, _ in remote.fake.calls[calls_before:])


def test_piped_cmdlets_and_statements(remote):
    tag = uuid.uuid4().hex
    with exchange_pool(ntlm_wsman(remote)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabThing").add_parameter("Tag", tag).add_cmdlet("Set-LabThing").add_parameter("Flag", True)
        ps.add_statement()
        ps.add_cmdlet("Get-LabThing").add_parameter("Tag", tag).add_parameter("Count", 2)
        output = ps.invoke()
    assert len(output) == 3  # one statement returned 1 object, the other 2
    runs = [commands for commands, _ in remote.fake.calls_named("Get-LabThing")
            if commands[0].parameters.get("Tag") == tag]
    assert [[c.name for c in commands] for commands in runs] == [["Get-LabThing", "Set-LabThing"], ["Get-LabThing"]]
    assert runs[0][1].parameters == {"Flag": True}


def test_parameter_given_twice_is_a_binding_error(remote):
    calls_before = len(remote.fake.calls)
    with exchange_pool(ntlm_wsman(remote)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabThing").add_parameter("Tag", "a").add_parameter("tag", "b")
        ps.invoke()
    assert ps.had_errors
    assert ps.streams.error[0].fq_error.startswith("ParameterAlreadyBound")
    assert len(remote.fake.calls) == calls_before


def test_wrong_password_is_refused_and_counted(remote):
    for make_wsman in (ntlm_wsman, basic_wsman):
        before = remote.stats.snapshot()
        with pytest.raises(AuthenticationError):
            exchange_pool(make_wsman(remote, password="not-the-password")).open()
        assert delta(remote.stats, before, "auth_failures") >= 1


def test_unknown_account_is_refused(remote):
    with pytest.raises(AuthenticationError):
        exchange_pool(basic_wsman(remote, username="LAB\\someoneelse")).open()


@pytest.mark.parametrize("username", ["exadmin", "exadmin@lab.test", "lab\\EXADMIN"])
def test_other_spellings_of_the_account(remote, username):
    for make_wsman in (basic_wsman, ntlm_wsman):
        with exchange_pool(make_wsman(remote, username=username)) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-LabThing").add_parameter("Tag", username)
            assert len(ps.invoke()) == 1
    users = {user for commands, user in remote.fake.calls_named("Get-LabThing")
             if commands[0].parameters.get("Tag") == username}
    assert users == {"LAB\\exadmin"}


def test_basic_over_plain_http_is_refused(remote):
    before = remote.stats.snapshot()
    with pytest.raises(AuthenticationError):
        exchange_pool(ntlm_wsman(remote, auth="basic", encryption="never")).open()
    assert delta(remote.stats, before, "auth_failures") >= 1

    with requests.Session() as session:
        session.trust_env = False
        response = session.post(f"http://127.0.0.1:{remote.http.port}/PowerShell", data=b"<x/>",
                                auth=(remote.credentials.username, remote.credentials.password),
                                headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "NTLM"


def test_https_offers_only_basic(remote):
    with requests.Session() as session:
        session.trust_env = False
        response = session.post(f"https://127.0.0.1:{remote.https.port}/PowerShell/", data=b"",
                                verify=str(remote.ca_path))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_unencrypted_body_after_ntlm_is_refused(remote):
    before = remote.stats.snapshot()
    with pytest.raises(AuthenticationError):
        exchange_pool(ntlm_wsman(remote, encryption="never")).open()
    assert delta(remote.stats, before, "auth_failures") >= 1
    assert delta(remote.stats, before, "shells_created") == 0


@pytest.mark.parametrize("trust", [True, certifi.where()], ids=["environment-bundle", "certifi"])
def test_client_refuses_a_server_it_cannot_verify(remote, trust):
    with pytest.raises(requests.exceptions.SSLError):
        exchange_pool(basic_wsman(remote, cert_validation=trust)).open()


def test_unknown_session_configuration_is_a_wsman_fault(remote):
    pool = RunspacePool(basic_wsman(remote), configuration_name="Microsoft.PowerShell")
    with pytest.raises(WSManFaultError) as failure:
        pool.open()
    assert failure.value.code == 2150858811
    assert "http://schemas.microsoft.com/powershell/Microsoft.PowerShell" in failure.value.reason


def test_unknown_shell_is_a_wsman_fault(remote):
    wsman = basic_wsman(remote)
    selectors = SelectorSet()
    selectors.add_option("ShellId", str(uuid.uuid4()).upper())
    receive = ET.Element("{%s}Receive" % NAMESPACES["rsp"])
    ET.SubElement(receive, "{%s}DesiredStream" % NAMESPACES["rsp"]).text = "stdout"
    with pytest.raises(WSManFaultError) as failure:
        wsman.receive("http://schemas.microsoft.com/powershell/Microsoft.Exchange", receive, selector_set=selectors)
    assert failure.value.code == 2150858843


def _announced_envelope_size(request_body: bytes) -> int:
    header = ET.fromstring(request_body).find("{%s}Header" % NAMESPACES["s"])
    return int(header.find("{%s}MaxEnvelopeSize" % NAMESPACES["wsman"]).text)


# 153600 is pypsrp's default, which it raises to 512000 once the server speaks
# protocol 2.2+ (as Exchange does); the others stay as given.
@pytest.mark.parametrize("max_envelope_size", [153600, 100000, 40000])
def test_big_output_is_split_to_fit_the_client_envelope(remote, max_envelope_size):
    wsman = basic_wsman(remote, max_envelope_size=max_envelope_size)
    receives = []  # (MaxEnvelopeSize the client announced, size of the response)
    with exchange_pool(wsman) as pool:
        wsman.transport.session.hooks["response"].append(
            lambda response, **_: receives.append(
                (_announced_envelope_size(response.request.body), len(response.content)))
            if b"ReceiveResponse" in response.content else None)
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabThing").add_parameter("Count", 5).add_parameter("Size", 60000)
        big = ps.invoke()
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabThing").add_parameter("Count", 400).add_parameter("Size", 300)
        many = ps.invoke()

    assert [len(thing.extended_properties["Payload"]) for thing in big] == [60000] * 5
    assert [thing.extended_properties["Index"] for thing in many] == list(range(400))
    assert all(size <= announced for announced, size in receives)
    # The payload strings alone, base64-encoded, need at least this many responses.
    largest_allowed = max(announced for announced, _ in receives)
    assert len(receives) >= (5 * 60000 + 400 * 300) * 4 // 3 // largest_allowed


def test_receive_long_polls_then_times_out_and_pypsrp_retries(remote):
    wsman = basic_wsman(remote, operation_timeout=1)
    fault_codes = []
    receive = wsman.receive

    def recording_receive(*args, **kwargs):
        try:
            return receive(*args, **kwargs)
        except WSManFaultError as fault:
            fault_codes.append(fault.code)
            raise

    wsman.receive = recording_receive
    with exchange_pool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Wait-LabSeconds").add_parameter("Seconds", 2.5)
        started = time.monotonic()
        output = ps.invoke()
    assert time.monotonic() - started >= 2
    assert [thing.extended_properties["Payload"] for thing in output] == ["waited"]
    assert 2150858793 in fault_codes


def test_stop_signal_ends_a_running_pipeline(remote):
    with exchange_pool(ntlm_wsman(remote)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Wait-LabSignal")
        ps.begin_invoke()
        deadline = time.monotonic() + 5
        while not remote.fake.calls_named("Wait-LabSignal") and time.monotonic() < deadline:
            time.sleep(0.05)
        ps.stop()
        assert ps.state == PSInvocationState.STOPPED
        remote.fake.release.set()  # let the fake model return; its late result must be dropped

        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LabThing").add_parameter("Tag", "after-stop")
        assert ps.invoke()[0].extended_properties["Payload"].startswith("after-st")
        assert pool.is_alive()


def test_pools_of_several_clients_at_once(remote):
    before = remote.stats.snapshot()
    failures, results = [], {}

    def client(number: int):
        try:
            make_wsman = ntlm_wsman if number % 2 else basic_wsman
            with exchange_pool(make_wsman(remote)) as pool:
                for run in range(3):
                    ps = PowerShell(pool)
                    ps.add_cmdlet("Get-LabThing").add_parameter("Count", 20 + number).add_parameter("Tag", str(number))
                    output = ps.invoke()
                    results[(number, run)] = [t.extended_properties["Payload"][0] for t in output]
        except Exception as exc:  # reported below, with the client number
            failures.append((number, exc))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    for (number, _), payloads in results.items():
        assert payloads == [str(number)] * (20 + number)
    assert len(results) == 15
    assert delta(remote.stats, before, "shells_created") == 5
    assert delta(remote.stats, before, "shells_deleted") == 5
    assert delta(remote.stats, before, "pipelines") == 15


def test_counters(remote):
    before = remote.stats.snapshot()
    with exchange_pool(ntlm_wsman(remote)) as pool:
        for _ in range(2):
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-LabThing")
            ps.invoke()
    assert delta(remote.stats, before, "shells_created") == 1
    assert delta(remote.stats, before, "shells_deleted") == 1
    assert delta(remote.stats, before, "pipelines") == 2
    assert delta(remote.stats, before, "http_requests") >= 8  # handshake, create, commands, receives, delete
    assert delta(remote.stats, before, "auth_failures") == 0


@pytest.mark.parametrize("body, code", [
    (b"this is not XML", 2150858810),
    (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body/></s:Envelope>',
     2150858753),  # no (known) action
], ids=["not-xml", "no-action"])
def test_malformed_requests_get_a_wsman_fault(remote, body, code):
    with requests.Session() as session:
        session.trust_env = False
        response = session.post(f"https://127.0.0.1:{remote.https.port}/PowerShell", data=body,
                                auth=(remote.credentials.username, remote.credentials.password),
                                verify=str(remote.ca_path),
                                headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
    assert response.status_code == 500
    detail = ET.fromstring(response.content).find(
        ".//{%s}WSManFault" % NAMESPACES["wsmanfault"])
    assert int(detail.get("Code")) == code
