"""Starting the run of a phase: one top-level run per exercice, phase and avenant.

The same idempotency key gives back the same run (a retry, a double start, a restart of
``make up``); a run that ended without completing (cancelled, crashed) is replaced by a
new one, which resumes from the database, the source of truth.
"""

from __future__ import annotations

from typing import cast

from prefect.client.schemas.objects import FlowRun

from models.enums import Phase

# Phase -> "flow name/deployment name" (deployments/definitions.py builds them; a test checks).
PHASE_DEPLOYMENTS: dict[Phase, str] = {
    Phase.DIAGNOSIS: "diagnosis/diagnostic",
    Phase.DELIBERATION: "deliberation/deliberation",
    Phase.SIGNATURE: "signature/signature",
    Phase.CREDIT_PAYMENT: "credit-payment/versement-credits",
    Phase.ODPE_REVIEW: "odpe-review/avis-odpe",
    Phase.EXECUTION_REPORT: "execution-report/rapport-execution",
    Phase.AMENDMENT: "amendment-decision/decision-avenant",
}
MAX_REPLACEMENTS = 100


def database_tag() -> str:
    """Eight hex digits naming the project database (its URL, password left out).

    Two systems sharing one Prefect server (a rehearsal beside production, test sessions)
    then never take each other's runs for their own.
    """
    import hashlib

    from sqlalchemy.engine import make_url

    from cdppe.core.settings import get_settings

    url = make_url(get_settings().sqlalchemy_url).set(password=None)
    return hashlib.sha256(url.render_as_string(hide_password=False).encode()).hexdigest()[:8]


def phase_run_key(contract_key: str, year: int, phase: Phase, avenant: int) -> str:
    return f"cdppe-{database_tag()}-{contract_key}-{year}-{phase.value}-{avenant}"


def phase_run_label(exercice_label: str, phase: Phase, avenant: int = 0) -> str:
    """``Creuse 2025 · signature`` (``… (avenant n° 1)``): the run's name in the UI."""
    suffix = f" (avenant n° {avenant})" if avenant else ""
    return f"{exercice_label} · {phase.label}{suffix}"


def start_phase_run(contract_key: str, year: int, phase: Phase, avenant: int = 0,
                    tags: list[str] | None = None, label: str | None = None) -> FlowRun:
    """The phase's run, created once (top level, tagged for the UI filters), started by the runner.

    Given the exercice's ``label`` (``Creuse 2025``), the run is created with its name: no
    execution of it (first start or resume) needs to read the database to name itself.
    """
    from prefect.deployments import run_deployment

    base = phase_run_key(contract_key, year, phase, avenant)
    run: FlowRun | None = None
    for attempt in range(1, MAX_REPLACEMENTS):
        run = cast(FlowRun, run_deployment(
            PHASE_DEPLOYMENTS[phase], parameters={"contract": contract_key, "year": year, "avenant": avenant},
            idempotency_key=base if attempt == 1 else f"{base}-{attempt}", timeout=0, as_subflow=False,
            tags=tags or [], flow_run_name=phase_run_label(label, phase, avenant) if label else None))
        if run.state is None or not run.state.is_final() or run.state.is_completed():
            return run
    assert run is not None
    return run
