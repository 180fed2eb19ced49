"""The simulated year: a clock, the scripted actor, the daily sweep and the phase flows.

Each simulated day, in this order: the reminder sweep on the days its deployment's schedule
fires (working days; one flow run for every Département), then the answers people give that
day (``record_answer``, the path of ``cdppe record``, with ``as_of`` = that day), then the
phase flows of the phases those answers completed, run in-process: each one completes as it
would after a resume (documents, phase state, artifacts). "Today" is the simulated
day everywhere (``Settings.today`` freezes ``cdppe.core.dates.today_paris``).

The same loop runs without Prefect (``orchestrated=False``): the same
functions the flows' tasks call, in one plain Python loop. The benchmark
divides the two wall times (the orchestration ratio).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol, cast

from sqlmodel import Session

from cdppe.core.schedules import SWEEP_SCHEDULE, firing_days
from cdppe.core.settings import Settings, get_settings
from cdppe.services.contract_io import parse_contract
from cdppe.services.importer import import_contract
from cdppe.services.lifecycle import (
    complete_phase,
    mark_phase,
    next_need,
    phase_completion_date,
    record_answer,
)
from cdppe.simulation.actor import Step, YearPlan, plan_departement
from cdppe.simulation.generator import scenario_contracts
from cdppe.store.contracts import find_contract, find_exercice
from cdppe.store.db import get_engine, session_scope, upgrade
from cdppe.store.plan import exercice_amendments, find_amendment
from cdppe.store.workflow import every_phase_state, get_amendment
from models import Contract, Exercice
from models.amendment_request import AmendmentRequest
from models.enums import PHASE_ORDER, AmendmentStatus, Phase, PhaseStatus

ACTOR = "simulation"
OWN_FILES = ("cdppe.sqlite", "cdppe.sqlite-wal", "cdppe.sqlite-shm")
OWN_DIRS = ("documents", "mail", "contracts")
LOOPBACK_CA_FILE = Path(__file__).with_name("loopback-ca.pem")


@dataclass
class Counters:
    flow_runs: int = 0
    answers: int = 0
    phases_completed: int = 0
    avenants: int = 0


@dataclass
class SimulationResult:
    departments: int
    year: int
    seed: int
    first_day: date
    last_day: date
    days: int
    orchestrated: bool
    wall_seconds: float
    counters: Counters
    out: Path
    database_url: str
    late: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_day"], data["last_day"] = self.first_day.isoformat(), self.last_day.isoformat()
        data["out"] = str(self.out)
        return data


class Backend(Protocol):
    """How the work of a day is done: through Prefect flows, or in a plain loop."""

    counters: Counters

    def sweep(self, day: date) -> None: ...
    def complete_phase(self, contract_key: str, year: int, phase: Phase) -> None: ...
    def open_avenant(self, request: AmendmentRequest, day: date) -> None: ...
    def finish_avenant(self, request: AmendmentRequest, day: date) -> None: ...


def _ids(session: Session, contract_key: str, year: int) -> tuple[Contract, Exercice]:
    contract = find_contract(session, contract_key)
    return contract, find_exercice(session, contract, year)


class PlainBackend:
    """The same work without Prefect: the functions the flows' tasks call, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.counters = Counters()

    def sweep(self, day: date) -> None:
        from cdppe.services.reminders.outbox import queue_due_reminders
        from cdppe.services.reminders.sender import drain_outbox
        from cdppe.services.reminders.sync import sync_all_deadlines

        with session_scope() as session:
            sync_all_deadlines(session, day)
        queue_due_reminders(get_engine(), day)
        self.loop.run_until_complete(drain_outbox(get_engine()))

    def _finish(self, contract_key: str, year: int, phase: Phase, avenant: int = 0) -> None:
        with session_scope() as session:
            contract, exercice = _ids(session, contract_key, year)
            assert contract.id is not None
            complete_phase(session, contract.id, exercice, phase, avenant)

    def complete_phase(self, contract_key: str, year: int, phase: Phase) -> None:
        self._finish(contract_key, year, phase)

    def open_avenant(self, request: AmendmentRequest, day: date) -> None:
        from cdppe.services.amendments import open_amendment

        with session_scope() as session:
            contract, exercice = _ids(session, request.contract, request.year)
            open_amendment(session, contract, exercice, request, day, None)

    def finish_avenant(self, request: AmendmentRequest, day: date) -> None:
        from cdppe.services.amendments import apply_signed_amendment

        number = 1
        self._finish(request.contract, request.year, Phase.DELIBERATION, number)
        self._finish(request.contract, request.year, Phase.SIGNATURE, number)
        with session_scope() as session:
            _, exercice = _ids(session, request.contract, request.year)
            amendment = get_amendment(session, exercice_id=exercice.id, number=number)
            apply_signed_amendment(session, exercice, amendment)
        self._finish(request.contract, request.year, Phase.AMENDMENT, number)
        self._finish(request.contract, request.year, Phase.CREDIT_PAYMENT, number)


class FlowBackend:
    """The real flows on a real Prefect API, in-process, heartbeats off.

    The avenant runs as Prefect runs it for an operator: the ``amendment`` flow is
    started from its deployment and opens the avenant, which starts the run of the
    avenant's deliberation; once the avenant is signed, each of its phase runs
    (deliberation, signature, application), created by the one before, is executed
    in this process and completes.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.counters = Counters()
        self.avenant_runs: dict[str, Any] = {}
        self._deployment: str | None = None
        self._token = uuid.uuid4().hex[:12]  # one simulation's runs, even on a shared server
        self._run_tags: dict[tuple[str, int], list[str]] = {}

    def sweep(self, day: date) -> None:
        from flows.reminders import send_due_reminders

        self.loop.run_until_complete(send_due_reminders(as_of=day))
        self.counters.flow_runs += 1

    def _tags(self, contract_key: str, year: int) -> list[str]:
        """The run's UI tags, given at creation (as a deployment's would be): no update later."""
        if (contract_key, year) not in self._run_tags:
            from tasks.cycle import resolve_exercice

            self._run_tags[contract_key, year] = resolve_exercice(contract_key, year).tags
        return self._run_tags[contract_key, year]

    def complete_phase(self, contract_key: str, year: int, phase: Phase) -> None:
        from prefect import tags

        from flows.annual_cycle import PHASE_FLOWS

        with tags(*self._tags(contract_key, year)):
            PHASE_FLOWS[phase](contract=contract_key, year=year)
        self.counters.flow_runs += 1

    def _deployment_name(self) -> str:
        """The operators' amendment deployment, and the phase deployments its runs start."""
        if self._deployment is None:
            from prefect.deployments.runner import RunnerDeployment

            from cdppe.ops.phase_runs import PHASE_DEPLOYMENTS
            from flows.amendment import amendment
            from flows.annual_cycle import PHASE_FLOWS

            deployment = cast(RunnerDeployment, amendment.to_deployment(name="simulation"))
            deployment.apply()
            for phase, full_name in PHASE_DEPLOYMENTS.items():
                phase_flow: Any = PHASE_FLOWS[phase]
                cast(RunnerDeployment, phase_flow.to_deployment(name=full_name.split("/")[1])).apply()
            self._deployment = f"{amendment.name}/simulation"
        return self._deployment

    def _execute(self, flow_obj: Any, flow_run_id: Any, parameters: dict[str, Any]) -> None:
        from cdppe.ops.prefect_private import run_flow_run

        run_flow_run(flow_obj, flow_run_id, parameters)
        self.counters.flow_runs += 1

    def open_avenant(self, request: AmendmentRequest, day: date) -> None:
        from prefect.client.schemas.objects import FlowRun
        from prefect.deployments import run_deployment

        from flows.amendment import amendment

        parameters = {"request": request.model_dump(mode="json")}
        run = cast(FlowRun, run_deployment(
            self._deployment_name(), parameters=parameters, timeout=0,
            tags=self._tags(request.contract, request.year),
            idempotency_key=f"simulation-{self._token}-{request.contract}-{request.year}"))
        self.avenant_runs[request.contract] = run.id
        self._execute(amendment, run.id, {"request": request})  # opens it, starts its deliberation's run

    def finish_avenant(self, request: AmendmentRequest, day: date) -> None:
        """The answers are recorded already (``cdppe record``): each phase run completes at once."""
        from cdppe.ops.phase_runs import start_phase_run
        from cdppe.services.lifecycle import AVENANT_PHASES
        from flows.annual_cycle import PHASE_FLOWS

        with session_scope() as session:
            _, exercice = _ids(session, request.contract, request.year)
            number = max(a.number for a in exercice_amendments(session, exercice_id=exercice.id))
        tags = self._tags(request.contract, request.year)
        for phase in AVENANT_PHASES:  # the run the previous phase created (same idempotency key)
            run = start_phase_run(request.contract, request.year, phase, number, tags)
            self._execute(PHASE_FLOWS[phase], run.id,
                          {"contract": request.contract, "year": request.year, "avenant": number})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def prefect_api(server_database_url: str | None = None) -> Iterator[str]:
    """The configured Prefect API, or a local server started for this run.

    In-process runs need neither heartbeats (nothing else watches them) nor a server
    version handshake for every client (the same server answers all year).
    ``server_database_url`` (``postgresql+asyncpg://...``) puts the local server on
    PostgreSQL: on SQLite, the server's writers contend and answer 503 (retried
    after a back-off) as the runs pile up.
    """
    from prefect.settings import (
        PREFECT_API_SSL_CERT_FILE,
        PREFECT_API_URL,
        PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    from cdppe.ops.prefect_private import temporary_server
    from cdppe.ops.prefect_server import local_server_settings, own_server_client_settings

    with ExitStack() as stack:
        url = PREFECT_API_URL.value()
        own_server = not url
        if own_server:
            stack.enter_context(local_server_settings())
        if not url:
            url = stack.enter_context(temporary_server(server_database_url, free_port()))
        fast: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                                PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED: False}
        if str(url).startswith(("http://127.0.0.1:", "http://localhost:")):
            # Plain HTTP on loopback never uses TLS, yet every new Prefect client parses the
            # whole CA bundle (about 25 ms, a third of a sweep's time when measured). A CA file
            # holding one throwaway certificate (its key was never kept) makes that free.
            fast[PREFECT_API_SSL_CERT_FILE] = str(LOOPBACK_CA_FILE)
        stack.enter_context(temporary_settings(fast))
        if own_server:
            stack.enter_context(temporary_settings(own_server_client_settings()))
        yield str(url)


def prepare_out(out: Path) -> None:
    """Remove what an earlier simulation wrote there (only our own files)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in OWN_FILES:
        (out / name).unlink(missing_ok=True)
    for name in OWN_DIRS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)


def configure(out: Path, sink_port: int) -> Settings:
    os.environ["CDPPE_DATA_DIR"] = str(out.resolve())
    os.environ["CDPPE_DATABASE_URL"] = f"sqlite:///{(out / 'cdppe.sqlite').resolve()}"
    get_settings.cache_clear()
    settings = get_settings()
    settings.smtp_host = None
    settings.sink_host, settings.sink_port = "127.0.0.1", sink_port
    settings.ui_url = "http://127.0.0.1:4200"
    return settings


def _record(step: Step, contract_key: str, year: int) -> None:
    with session_scope() as session:
        contract, exercice = _ids(session, contract_key, year)
        record_answer(session, contract, exercice, step.phase, step.answer, step.day, step.avenant)


def load_history(plans: list[YearPlan], year: int) -> None:
    """The year before: every step recorded on its day, every phase completed (no flow, no document)."""
    for plan in plans:
        for step in plan.history:
            _record(step, plan.contract_key, year - 1)
        with session_scope() as session:
            _, exercice = _ids(session, plan.contract_key, year - 1)
            assert exercice.id is not None
            for phase in PHASE_ORDER:
                mark_phase(session, exercice.id, phase, PhaseStatus.COMPLETED,
                           completed_on=phase_completion_date(session, exercice, phase))


def ready_phases(plan: YearPlan, year: int) -> tuple[list[Phase], bool]:
    """Phases of the contract that can complete now (in order), and whether the avenant can."""
    ready: list[Phase] = []
    with session_scope() as session:
        _, exercice = _ids(session, plan.contract_key, year)
        assert exercice.id is not None
        states = {key: state.status
                  for key, state in every_phase_state(session, exercice_id=exercice.id).items()}
        for phase in PHASE_ORDER:
            if states.get((phase, 0)) is PhaseStatus.COMPLETED:
                continue
            if next_need(session, exercice, phase) is not None:
                break
            ready.append(phase)
        amendment = find_amendment(session, exercice_id=exercice.id, number=1)
        avenant_ready = (amendment is not None and amendment.status == AmendmentStatus.SIGNED
                         and states.get((Phase.AMENDMENT, 1)) is not PhaseStatus.COMPLETED)
    return ready, avenant_ready


DayItem = tuple[YearPlan, Step | None]  # a step, or (None) the opening of the plan's avenant


def _steps_by_day(plans: list[YearPlan]) -> dict[date, list[DayItem]]:
    by_day: dict[date, list[DayItem]] = defaultdict(list)
    for plan in plans:
        if plan.avenant_day is not None:
            by_day[plan.avenant_day].append((plan, None))
        for step in plan.steps:
            by_day[step.day].append((plan, step))
    return by_day


def _play_day(backend: Backend, items: list[DayItem], day: date, year: int) -> None:
    """The day's avenants opened, then its answers recorded; then what they made ready completes."""
    touched: dict[str, YearPlan] = {}
    for plan, maybe in sorted(items, key=lambda item: item[1] is not None):
        if maybe is None:
            assert plan.avenant_request is not None
            backend.open_avenant(plan.avenant_request, day)
            backend.counters.avenants += 1
        else:
            _record(maybe, plan.contract_key, year)
            backend.counters.answers += 1
        touched[plan.contract_key] = plan
    for plan in touched.values():
        phases, avenant_ready = ready_phases(plan, year)
        if avenant_ready:
            assert plan.avenant_request is not None
            backend.finish_avenant(plan.avenant_request, day)
        for phase in phases:
            backend.complete_phase(plan.contract_key, year, phase)
            backend.counters.phases_completed += 1


def sweep_days(first: date, last: date, every: int = 1) -> set[date]:
    """The days the sweep deployment's schedule fires (working days), as in production.

    ``every`` > 1 keeps every N-th of them and the last one: for fast tests only.
    """
    days = firing_days(SWEEP_SCHEDULE, first, last)
    return set(days[::every]) | set(days[-1:])


def simulate(departments: int, year: int, out: Path, seed: int = 1, *, orchestrated: bool = True,
             on_day: Callable[[date, int, int], None] | None = None,
             prefect_database_url: str | None = None, sweep_every: int = 1) -> SimulationResult:
    """Run the year; returns the counters and timings (the summary reads the database).

    The sweep runs on the days its deployment's schedule fires (``sweep_days``);
    ``sweep_every`` > 1 keeps only every N-th of them, for fast tests.
    """
    from cdppe.ops.mail_sink import start_sink

    start = time.perf_counter()
    out = out.resolve()
    prepare_out(out)
    sink_port = free_port()
    settings = configure(out, sink_port)
    upgrade(get_engine())
    sink = start_sink(settings.mail_dir, "127.0.0.1", sink_port)
    loop = asyncio.new_event_loop()
    try:
        contracts = scenario_contracts(departments, year, seed, out / "contracts")
        plans = [plan_departement(data, year, seed) for data in contracts]
        for data in contracts:
            settings.today = date(year, 1, 1)
            with session_scope() as session:
                import_contract(session, parse_contract(data), ACTOR)
        load_history(plans, year)
        with ExitStack() as stack:
            backend: Backend
            if orchestrated:
                stack.enter_context(prefect_api(prefect_database_url))
                backend = FlowBackend(loop)
            else:
                backend = PlainBackend(loop)
            first, last = date(year, 1, 1), max(date(year, 12, 31), *(p.last_day for p in plans))
            by_day = _steps_by_day(plans)
            sweeps = sweep_days(first, last, sweep_every)
            total = (last - first).days + 1
            for index in range(total):
                day = first + timedelta(days=index)
                settings.today = day
                if day in sweeps:
                    backend.sweep(day)
                _play_day(backend, by_day.get(day, []), day, year)
                if on_day is not None:
                    on_day(day, index + 1, total)
    finally:
        loop.close()
        sink.stop()
    return SimulationResult(
        departments=departments, year=year, seed=seed, first_day=first, last_day=last, days=total,
        orchestrated=orchestrated, wall_seconds=time.perf_counter() - start, counters=backend.counters,
        out=out, database_url=settings.sqlalchemy_url,
        late={p.departement_code: p.late for p in plans if p.late})
