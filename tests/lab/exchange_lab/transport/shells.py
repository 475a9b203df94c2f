"""PSRP runspace pools behind WSMan shells (psrpcore server side).

One ``RunspaceSession`` per shell: it owns a psrpcore ``ServerRunspacePool``,
which is not thread-safe, so every touch of it happens under the session's
condition lock. Cmdlets run on a worker thread (the model may be slow), so a
Receive can long-poll while they run.

psrpcore has one send buffer per pool; the session drains it after every
change into one queue per target (the pool itself, or a pipeline), cutting
fragments small enough that any one of them fits in a Receive response.
"""
import logging
import threading
import uuid
from collections import defaultdict, deque
from typing import Callable

import psrpcore
from psrpcore.types import PSInvocationState, PSVersion

from ..exchange.api import Endpoint
from ..stats import Stats
from . import faults, pipelines, records

log = logging.getLogger(__name__)

_FINISHED = (PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped)


def exchange_application_private_data() -> dict:
    """What the pool reports about the server when it opens.

    GUESS: Exchange 2016/2019 run on Windows Server 2016/2019 with Windows
    PowerShell 5.1; the exact build numbers are illustrative.
    """
    return {
        "PSVersionTable": {
            "PSVersion": PSVersion("5.1.17763.1"),
            "PSEdition": "Desktop",
            "BuildVersion": PSVersion("10.0.17763.1"),
            "CLRVersion": PSVersion("4.0.30319.42000"),
            "WSManStackVersion": PSVersion("3.0"),
        }
    }


class RunspaceSession:
    """One WSMan shell = one PSRP runspace pool, with its pipelines."""

    def __init__(self, shell_id: str, user: str, endpoint: Endpoint, stats: Stats, fragment_size: int,
                 take_fault: Callable[[list[str]], dict | None] | None = None):
        self.shell_id = shell_id
        self.user = user
        self._endpoint = endpoint
        self._stats = stats
        self._fragment_size = fragment_size
        self._pool = psrpcore.ServerRunspacePool(application_private_data=exchange_application_private_data())
        self._cond = threading.Condition()
        self._outgoing: dict[uuid.UUID | None, deque[bytes]] = defaultdict(deque)
        self._closed = False
        # The fault plan's ``wsman`` rules, asked once per pipeline with its cmdlet names.
        self._take_fault = take_fault
        # Faults the transport acts on later (slow Command answer, reset Receive), by pipeline.
        self._disturbances: dict[uuid.UUID, dict] = {}

    # -- data from the client -------------------------------------------------

    def receive_data(self, data: bytes, pipeline_id: uuid.UUID | None = None,
                     stream: psrpcore.StreamType = psrpcore.StreamType.default) -> None:
        """Feed PSRP fragments (creationXml, Send) to the pool and act on them."""
        with self._cond:
            self._check_open()
            self._feed(data, pipeline_id, stream)

    def create_pipeline(self, pipeline_id: uuid.UUID, first_fragment: bytes) -> None:
        """A WSMan Command: the pipeline object must exist before its CreatePipeline arrives."""
        with self._cond:
            self._check_open()
            if pipeline_id in self._pool.pipeline_table:
                raise faults.invalid_request(f"The command {str(pipeline_id).upper()} already exists.")
            psrpcore.ServerPipeline(self._pool, pipeline_id)
            self._feed(first_fragment, pipeline_id, psrpcore.StreamType.default)

    def _feed(self, data: bytes, pipeline_id, stream) -> None:
        try:
            self._pool.receive_data(psrpcore.PSRPPayload(data, stream, pipeline_id))
            while (event := self._pool.next_event()) is not None:
                self._on_event(event)
        except psrpcore.PSRPCoreError as exc:
            raise faults.invalid_request(f"The PSRP data could not be processed: {exc}") from exc
        finally:
            self._drain()

    def _on_event(self, event) -> None:
        # Pool-level messages (capability, init, keys) are answered by psrpcore itself.
        if isinstance(event, psrpcore.CreatePipelineEvent):
            pipe = self._pool.pipeline_table[event.pipeline_id]
            if pipe.metadata.no_input:
                self._start(pipe)
        elif isinstance(event, psrpcore.EndOfPipelineInputEvent):
            pipe = self._pool.pipeline_table.get(event.pipeline_id)
            if pipe is not None and pipe.state == PSInvocationState.NotStarted and pipe.metadata:
                # GUESS/gap: pipeline input objects are not passed to the model
                # (api.Command has no input); the pipeline runs once input ends.
                self._start(pipe)
        elif isinstance(event, psrpcore.GetCommandMetadataEvent):
            pipe = self._pool.pipeline_table[event.pipeline_id]
            pipe.start()
            records.write_record(pipe, records.internal_error_record(
                "Get-Command", "command metadata queries are not implemented by the lab"))
            pipe.complete()

    def _start(self, pipe: psrpcore.ServerPipeline) -> None:
        fault = self._fault_for(pipe)
        pipe.start()
        self._stats.increment("pipelines")
        try:
            statements = pipelines.decode_pipeline(pipe.metadata)
        except pipelines.PipelineRefused as refused:
            records.fail_pipeline(pipe, refused.record)
            return
        if fault is not None and fault["kind"] == "write_error":
            records.write_record(pipe, records.transient_directory_error_record(statements[0][-1].name))
            pipe.complete()
            return
        if not statements:
            pipe.complete()
            return
        worker = threading.Thread(
            target=self._run, args=(pipe, statements), daemon=True,
            name=f"pipeline-{str(pipe.pipeline_id)[:8]}",
        )
        worker.start()

    def _run(self, pipe: psrpcore.ServerPipeline, statements) -> None:
        """Worker thread: call the model without the lock, then write the results."""
        emissions = pipelines.run_statements(self._endpoint, statements, self.user)
        with self._cond:
            if self._closed or pipe.state != PSInvocationState.Running:
                return  # stopped or closed while the model was working
            try:
                for kind, value in emissions:
                    self._emit(pipe, kind, value)
            except Exception as exc:  # e.g. an object psrpcore cannot serialise
                log.exception("writing pipeline results failed")
                records.write_record(pipe, records.internal_error_record(
                    statements[0][0].name, f"cannot serialise the result: {exc!r}"))
            pipe.complete()
            self._drain()

    def _fault_for(self, pipe: psrpcore.ServerPipeline) -> dict | None:
        """The fault plan's rule for this pipeline; faults that answer the Command itself are raised."""
        if self._take_fault is None:
            return None
        fault = self._take_fault([raw.command_text or "" for raw in pipe.metadata.commands])
        if fault is None:
            return None
        kind = fault.get("kind")
        if kind == "wsman_fault":
            raise faults.injected_internal_error()
        if kind == "shell_not_found":
            raise faults.shell_not_found(self.shell_id)
        if kind in ("slow", "reset"):
            self._disturbances[pipe.pipeline_id] = fault
        return fault

    def take_disturbance(self, pipeline_id: uuid.UUID | None, kind: str) -> dict | None:
        """A slow/reset fault planned for this pipeline, forgotten once taken."""
        with self._cond:
            fault = self._disturbances.get(pipeline_id)
            if fault is None or fault.get("kind") != kind:
                return None
            return self._disturbances.pop(pipeline_id)

    @staticmethod
    def _emit(pipe: psrpcore.ServerPipeline, kind: str, value) -> None:
        if kind == "output":
            pipe.write_output(value)
        elif kind == "warning":
            pipe.write_warning(value)
        else:
            records.write_record(pipe, value)

    # -- data to the client ---------------------------------------------------

    def _drain(self) -> None:
        """Move psrpcore's outgoing fragments to per-target queues; wake long-polls."""
        while (payload := self._pool.data_to_send(self._fragment_size)) is not None:
            self._outgoing[payload.pipeline_id].append(payload.data)
        self._cond.notify_all()

    def _finished(self, pipeline_id: uuid.UUID | None) -> bool:
        if pipeline_id is None:
            return False
        pipe = self._pool.pipeline_table.get(pipeline_id)
        return pipe is None or pipe.state in _FINISHED

    def receive(self, pipeline_id: uuid.UUID | None, budget: int, cost: Callable[[int], int],
                timeout: float, stopping: threading.Event) -> tuple[list[bytes], bool]:
        """Long-poll for fragments of one target.

        Returns the fragments that fit in ``budget`` (at least one), judged with
        ``cost`` (bytes one fragment adds to the envelope), and whether the
        pipeline is done with nothing left to send. Raises the WSMan timeout
        fault when nothing arrived within ``timeout``.
        """
        with self._cond:
            ready = self._cond.wait_for(
                lambda: self._outgoing[pipeline_id] or self._finished(pipeline_id)
                or self._closed or stopping.is_set(),
                timeout,
            )
            if self._closed:
                raise faults.shell_not_found(self.shell_id)
            queue = self._outgoing[pipeline_id]
            if not ready or (not queue and not self._finished(pipeline_id)):
                raise faults.operation_timed_out()
            taken: list[bytes] = []
            spent = 0
            while queue and (not taken or spent + cost(len(queue[0])) <= budget):
                spent += cost(len(queue[0]))
                taken.append(queue.popleft())
            done = not queue and self._finished(pipeline_id)
            return taken, done

    # -- signals and teardown ---------------------------------------------------

    def stop_pipeline(self, pipeline_id: uuid.UUID) -> None:
        """Ctrl+C: a running pipeline ends as Stopped (PipelineStoppedException)."""
        with self._cond:
            pipe = self._pool.pipeline_table.get(pipeline_id)
            if pipe is not None and pipe.state == PSInvocationState.Running:
                pipe.stop()
            self._drain()

    def terminate_pipeline(self, pipeline_id: uuid.UUID) -> None:
        """Terminate: the client is done with the pipeline; forget it."""
        with self._cond:
            pipe = self._pool.pipeline_table.get(pipeline_id)
            if pipe is not None:
                if pipe.state in (PSInvocationState.Running, PSInvocationState.Stopping):
                    pipe.stop()
                pipe.close()
            self._drain()
            self._outgoing.pop(pipeline_id, None)

    def close(self) -> None:
        """WSMan Delete of the shell: stop everything and release the pool."""
        with self._cond:
            if self._closed:
                return
            for pipe in list(self._pool.pipeline_table.values()):
                if pipe.state in (PSInvocationState.Running, PSInvocationState.Stopping):
                    pipe.stop()
                pipe.close()
            try:
                self._pool.close()
            except psrpcore.PSRPCoreError:
                pass  # a pool that never finished opening has nothing to close
            self._closed = True
            self._outgoing.clear()
            self._cond.notify_all()

    def wake(self) -> None:
        """Wake long-polls (server shutdown)."""
        with self._cond:
            self._cond.notify_all()

    def _check_open(self) -> None:
        if self._closed:
            raise faults.shell_not_found(self.shell_id)


class ShellRegistry:
    """The open shells of one listener pair, by upper-case ShellId."""

    def __init__(self):
        self._lock = threading.Lock()
        self._shells: dict[str, RunspaceSession] = {}

    def add(self, session: RunspaceSession, limit: int | None = None) -> bool:
        """Register ``session``; False (not added) when its user already has ``limit`` open shells."""
        with self._lock:
            if session.shell_id in self._shells:
                raise faults.invalid_request(f"A shell with ShellId {session.shell_id} already exists.")
            if limit is not None and sum(1 for s in self._shells.values() if s.user == session.user) >= limit:
                return False
            self._shells[session.shell_id] = session
            return True

    def get(self, shell_id: str | None) -> RunspaceSession:
        with self._lock:
            session = self._shells.get((shell_id or "").upper())
        if session is None:
            raise faults.shell_not_found(shell_id or "")
        return session

    def remove(self, shell_id: str | None) -> RunspaceSession:
        with self._lock:
            session = self._shells.pop((shell_id or "").upper(), None)
        if session is None:
            raise faults.shell_not_found(shell_id or "")
        return session

    def all(self) -> list[RunspaceSession]:
        with self._lock:
            return list(self._shells.values())
