"""The one place that touches Prefect internals; ``tests/cdppe/test_prefect_private.py`` pins each.

An upgrade of Prefect that changes one of these fails that test first, not a coordinator's run.

- ``preload_flow_processes``: the served runner starts each flow run in a new interpreter
  (``multiprocessing`` "spawn"), which imports Prefect and our flow modules again: about 4 s of
  the wait between Submit and the next form on this machine. A fork server that imported them
  once forks each run ready to go. Prefect's ``run_flow_in_subprocess`` asks for the "spawn"
  context by name, so the fork server is handed out under that name to that module only; the
  flow itself is passed by reference (``module:name``), not copied.
- ``suspend_for_input``: what ``suspend_flow_run(wait_for_input=...)`` does, with a state named
  after what the run waits for and a keyset that does not depend on that name; it proposes the
  state itself (``propose_state_sync``), marks the suspension as requested so the engine ends
  the process without calling the run crashed, and gives the form its description through
  ``RunInput._description``.
- ``run_flow_run`` and ``temporary_server``: the simulation runs flow runs in its own process
  and starts a Prefect server of its own.
- ``sqlite_transactions_begin_immediate``: on SQLite, Prefect begins a transaction DEFERRED
  unless the endpoint asks for a lock; the resume endpoint (a form's Submit) and the run
  form of a deployment read first, then write. In WAL mode a read transaction that another
  connection wrote behind cannot become a write one: SQLite answers "database is locked" at
  once, whatever the busy timeout, and the UI keeps the form open (seen on ``cdppe up`` while
  the run that had just been answered was still writing its logs and task runs). Begun
  IMMEDIATE, every transaction waits its turn for the write lock (Prefect's busy timeout).
"""

from __future__ import annotations

import copyreg
import importlib
import multiprocessing
import multiprocessing.context
import pickle
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State
    from prefect.input.run_input import RunInput


class _SpawnAsForkServer:
    """``multiprocessing`` as ``prefect.flow_engine`` sees it, with "spawn" served by a fork server."""

    def __init__(self, fork_server: multiprocessing.context.BaseContext) -> None:
        self.fork_server = fork_server

    def get_context(self, method: str | None = None) -> multiprocessing.context.BaseContext:
        if method == "spawn":
            return self.fork_server
        return multiprocessing.get_context(method)

    def __getattr__(self, name: str) -> Any:
        return getattr(multiprocessing, name)


def preload_flow_processes(modules: Sequence[str]) -> None:
    """Flow runs started by this process's runner fork from a server that imported ``modules``.

    Call before the runner starts. The fork server is a fresh interpreter with no thread, so
    forking it is safe; the child still receives the runner's environment and settings, as
    Prefect passes them with the call itself.
    """
    import prefect.flow_engine as flow_engine

    pickle_flows_by_reference()
    fork_server = multiprocessing.get_context("forkserver")
    fork_server.set_forkserver_preload(["prefect.flow_engine", *modules])
    flow_engine.multiprocessing = _SpawnAsForkServer(fork_server)  # type: ignore[assignment,attr-defined]


def pickle_flows_by_reference() -> None:
    from prefect.flows import Flow

    copyreg.pickle(Flow, _flow_by_reference)


def _flow_by_reference(flow: Any) -> Any:
    """Pickle a module-level flow as ``module:name``, so the run uses that module's flow itself.

    By default cloudpickle copies the flow's function by value with only the globals its body
    names: annotations under ``from __future__ import annotations`` (``request: AmendmentRequest``)
    then no longer resolve and Prefect refuses the parameters. Other flows pickle as before.
    """
    module, name = flow.fn.__module__, flow.fn.__name__
    if getattr(sys.modules.get(module), name, None) is flow:
        return load_flow, (module, name)
    return flow.__reduce_ex__(pickle.DEFAULT_PROTOCOL)


def load_flow(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def uses_fork_server() -> bool:
    import prefect.flow_engine as flow_engine

    return isinstance(flow_engine.multiprocessing, _SpawnAsForkServer)  # type: ignore[attr-defined]


def form_with_description(form: type[RunInput], description: str) -> type[RunInput]:
    form._description = description
    return form


def suspend_for_input(flow_run_id: UUID, *, name: str, message: str, pause_key: str, keyset_base: str,
                      form: type[RunInput]) -> dict[str, Any]:
    """Suspend this run (its process ends) until ``form`` is answered; the answer on a replay.

    The same ``keyset_base`` always maps to the same stored answer: when the run comes back
    after Submit, proposing the same pause finds the run running and the answer stored.
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import Pause
    from prefect.input.run_input import keyset_from_base_key
    from prefect.states import Paused
    from prefect.utilities.engine import propose_state_sync

    keyset = keyset_from_base_key(keyset_base)
    proposed: State[Any] = Paused(name=name, reschedule=True, pause_key=pause_key, timeout_seconds=None,
                                  message=message)
    proposed.state_details.run_input_keyset = {str(k): v for k, v in keyset.items()}
    with get_client(sync_client=True) as client:
        state = propose_state_sync(client=client, state=proposed, flow_run_id=flow_run_id)
        if state.is_running():  # this pause happened before: the answer is stored
            loaded = cast("RunInput", form.load(keyset, flow_run_id=flow_run_id))
            return loaded.model_dump(exclude={"metadata"})
        if not state.is_paused():
            raise RuntimeError(f"flow run cannot be suspended: {state}")
        form.save(keyset, flow_run_id=flow_run_id)
    from prefect._flow_run_suspension import mark_flow_run_suspension_requested

    mark_flow_run_suspension_requested(flow_run_id, state)
    raise Pause(state=state)


def run_flow_run(flow_obj: Any, flow_run_id: UUID, parameters: dict[str, Any]) -> None:
    """Run an existing flow run in this process; a suspension just ends the call."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import Pause
    from prefect.flow_engine import run_flow

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
    try:
        run_flow(flow_obj, flow_run=flow_run, parameters=parameters, return_type="state")
    except Pause:
        pass  # suspended: the run is a row on the server until it is resumed


@contextmanager
def temporary_server(database_url: str | None, port: int) -> Iterator[str]:
    """A Prefect server of our own for the time of the block (its API URL set); Prefect's test
    harness (a throwaway SQLite database) when ``database_url`` is None."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    if database_url is None:
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=120):
            yield str(PREFECT_API_URL.value())
        return
    from prefect.server.api.server import SubprocessASGIServer

    with temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: database_url}):
        server = SubprocessASGIServer(port=port)
        server.start(timeout=120)
        try:
            with temporary_settings({PREFECT_API_URL: server.api_url}):
                yield server.api_url
        finally:
            server.stop()


def sqlite_transactions_begin_immediate() -> None:
    """Every transaction of this process's Prefect server on SQLite begins IMMEDIATE (see above)."""
    from prefect.server.database.configurations import AioSqliteConfiguration

    original = AioSqliteConfiguration.begin_transaction
    if getattr(original, "cdppe_immediate", False):
        return

    @asynccontextmanager
    async def begin_transaction(self: AioSqliteConfiguration, session: Any,
                                with_for_update: bool = False) -> AsyncIterator[Any]:
        async with original(self, session, with_for_update=True) as transaction:
            yield transaction

    begin_transaction.cdppe_immediate = True  # type: ignore[attr-defined]
    AioSqliteConfiguration.begin_transaction = begin_transaction  # type: ignore[method-assign]
