"""A lab organisation driven directly (no transport), seen the way a PSRP client sees it."""
import re
from pathlib import Path
from typing import Any, Iterable

from psrpcore.types import deserialize_clixml, serialize_clixml

from exchange_lab.exchange.api import CmdletError, Command, PipelineResult
from exchange_lab.exchange.organization import open_organization
from exchange_lab.exchange.store import DATA_DIR
from exchange_lab.stats import Stats

SERVER = "WIN-CTD3L0RGEN4"
DC = "WIN-CTD3L0RGEN4.exlab.dom"
FQEID = re.compile(r"^\[Server=WIN-CTD3L0RGEN4,RequestId=[0-9a-f-]{36},TimeStamp=[^\]]+\] "
                   r"\[FailureCategory=Cmdlet-(?P<exception>\w+)\] [0-9A-F]{8},"
                   r"Microsoft\.Exchange\.Management\.SystemConfigurationTasks\.(?P<task>\w+)$")


class Lab:
    def __init__(self, directory: Path, seeds: Iterable[Path] = (), reset: bool = False):
        self.directory = directory
        self.stats = Stats(directory / "stats.json")
        self.endpoint = open_organization(directory / "state", list(seeds), self.stats, reset=reset)

    def pipeline(self, *commands: Command) -> PipelineResult:
        return self.endpoint.invoke(list(commands), "lab\\admin")

    def run(self, cmdlet: str, *arguments: Any, **parameters: Any) -> PipelineResult:
        return self.pipeline(Command(cmdlet, parameters, list(arguments)))

    def ok(self, cmdlet: str, *arguments: Any, **parameters: Any) -> list:
        """Run, expect no error, return the output as a client deserializes it."""
        result = self.run(cmdlet, *arguments, **parameters)
        assert not result.errors, [e.message for e in result.errors]
        return client_view(result.output)

    def error(self, cmdlet: str, *arguments: Any, **parameters: Any) -> CmdletError:
        result = self.run(cmdlet, *arguments, **parameters)
        assert len(result.errors) == 1 and not result.output, (result.errors, result.output)
        return result.errors[0]

    def connector(self, identity: str):
        (found,) = self.ok("Get-ReceiveConnector", Identity=identity)
        return found

    def counters(self) -> dict:
        snapshot = self.stats.snapshot()
        return {name: snapshot.get(name, 0) for name in ("write_calls", "writes")}


def client_view(objects: list) -> list:
    """What pypsrp would hand the collection: the objects serialized and deserialized."""
    return deserialize_clixml(serialize_clixml(list(objects), None), None) if objects else []


def texts(values) -> list[str]:
    return [str(v) for v in values]


def second_server_seed(directory: Path) -> Path:
    """The E19 connectors again, on a second server WIN-SECOND (other GUIDs)."""
    text = (DATA_DIR / "E19-GetReceiveConnector.xml").read_text(encoding="utf-8-sig")
    text = text.replace(SERVER, "WIN-SECOND").replace(SERVER.lower(), "win-second")
    text = re.sub(r'<G N="(Guid|ObjectGuid)">[0-9a-f]{7}', r'<G N="\1">0000000', text)
    path = directory / "second.xml"
    path.write_text(text, encoding="utf-8")
    return path


def assert_task_error(error: CmdletError, exception: str, task: str, category: str = "NotSpecified") -> None:
    """An Exchange task error: exception type, category and the FullyQualifiedErrorId shape."""
    assert error.exception_type.endswith("." + exception), error.exception_type
    assert error.category == category
    match = FQEID.match(error.error_id)
    assert match, error.error_id
    assert (match["exception"], match["task"]) == (exception, task)


def assert_binding_error(error: CmdletError, error_id: str, cmdlet: str, category: str = "InvalidArgument") -> None:
    assert error.error_id == f"{error_id},{cmdlet}"
    assert error.category == category
    assert error.exception_type.startswith("System.Management.Automation.")
