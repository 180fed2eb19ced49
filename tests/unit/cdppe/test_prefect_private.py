"""Pins each Prefect internal that ``cdppe.ops.prefect_private`` relies on: an upgrade fails here first."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path


def test_the_served_runner_starts_runs_from_an_in_memory_flow_with_a_spawn_context() -> None:
    """``Runner.add_flow`` keeps the flow object, and that path asks ``multiprocessing`` for "spawn"."""
    import prefect.flow_engine as flow_engine
    import prefect.runner._starter_direct as starter_direct
    from prefect.runner.runner import Runner

    assert 'multiprocessing.get_context("spawn")' in inspect.getsource(flow_engine.run_flow_in_subprocess)
    assert starter_direct.run_flow_in_subprocess is flow_engine.run_flow_in_subprocess
    assert "register_flow(deployment_id, flow)" in inspect.getsource(Runner.aadd_flow)
    assert "DirectSubprocessStarter" in inspect.getsource(Runner.__aenter__)


def test_suspension_mark_keeps_its_signature() -> None:
    from prefect._flow_run_suspension import mark_flow_run_suspension_requested

    parameters = list(inspect.signature(mark_flow_run_suspension_requested).parameters)
    assert parameters[:2] == ["flow_run_id", "state"]


def test_a_module_flow_pickles_by_reference_and_keeps_its_annotations() -> None:
    import copyreg

    import cloudpickle
    from prefect.flows import Flow

    from cdppe.ops.prefect_private import pickle_flows_by_reference
    from flows.amendment import amendment

    pickle_flows_by_reference()
    try:
        copied = cloudpickle.loads(cloudpickle.dumps(amendment))
        assert copied is amendment
        renamed = amendment.with_options(name="autre")  # not a module attribute: copied as before
        assert cloudpickle.loads(cloudpickle.dumps(renamed)).name == "autre"
    finally:
        copyreg.dispatch_table.pop(Flow)


def test_the_suspension_helpers_are_where_we_take_them() -> None:
    """``suspend_for_input`` proposes its own Paused state and gives forms their description."""
    from prefect.input.run_input import RunInput, keyset_from_base_key
    from prefect.utilities.engine import propose_state_sync

    assert set(keyset_from_base_key("cdppe-x")) == {"description", "response", "schema"}
    assert {"client", "state", "flow_run_id"} <= set(inspect.signature(propose_state_sync).parameters)
    assert "cls._description" in inspect.getsource(RunInput.save)


def test_the_simulation_server_helpers_exist() -> None:
    from prefect.flow_engine import run_flow
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.testing.utilities import prefect_test_harness

    assert {"flow", "flow_run", "parameters", "return_type"} <= set(inspect.signature(run_flow).parameters)
    assert all(hasattr(SubprocessASGIServer, name) for name in ("start", "stop", "api_url"))
    assert "server_startup_timeout" in inspect.signature(prefect_test_harness).parameters


def test_sqlite_transactions_of_our_server_begin_immediate(tmp_path: Path) -> None:
    """The resume endpoint's transaction (begun without a lock) takes the write lock at BEGIN once
    patched; Prefect's own lock-asking endpoints are unchanged."""
    from prefect.server.database import configurations

    from cdppe.ops.prefect_private import sqlite_transactions_begin_immediate

    original = configurations.AioSqliteConfiguration.begin_transaction
    assert "SQLITE_BEGIN_MODE.set(" in inspect.getsource(original)
    config = configurations.AioSqliteConfiguration(f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}")

    async def begin_mode() -> str | None:
        engine = await config.engine()
        session = await config.session(engine)
        async with session, config.begin_transaction(session):
            return configurations.SQLITE_BEGIN_MODE.get()

    assert asyncio.run(begin_mode()) == "DEFERRED"
    try:
        sqlite_transactions_begin_immediate()
        sqlite_transactions_begin_immediate()  # twice: patched once
        assert asyncio.run(begin_mode()) == "IMMEDIATE"
    finally:
        configurations.AioSqliteConfiguration.begin_transaction = original  # type: ignore[method-assign]

