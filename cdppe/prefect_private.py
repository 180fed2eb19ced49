"""The one place that touches Prefect internals; ``tests/cdppe/test_prefect_private.py`` pins each.

An upgrade of Prefect that changes one of these fails that test first, not a coordinator's run.

- ``preload_flow_processes``: the served runner starts each flow run in a new interpreter
  (``multiprocessing`` "spawn"), which imports Prefect and our flow modules again: about 4 s of
  the wait between Submit and the next form on this machine. A fork server that imported them
  once forks each run ready to go. Prefect's ``run_flow_in_subprocess`` asks for the "spawn"
  context by name, so the fork server is handed out under that name to that module only; the
  flow itself is passed by reference (``module:name``), not copied.
- ``mark_suspension_requested``: tells the engine that the run suspends itself on purpose, so
  it ends the process without marking the run crashed (what ``suspend_flow_run`` does).
"""

from __future__ import annotations

import copyreg
import importlib
import multiprocessing
import multiprocessing.context
import pickle
import sys
from collections.abc import Sequence
from typing import Any
from uuid import UUID


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


def mark_suspension_requested(flow_run_id: UUID, state: Any) -> None:
    from prefect._flow_run_suspension import mark_flow_run_suspension_requested

    mark_flow_run_suspension_requested(flow_run_id, state)
