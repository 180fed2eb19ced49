"""``cdppe record`` when the stack it needs is not there: said in French, nothing recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.ops.stack_address import StackAddress, write_address
from cdppe.store.workflow import get_phase_state
from models import Exercice, PhaseState
from models.enums import Phase
from tests.conftest import EXAMPLES
from tests.smtp_server import free_port

runner = CliRunner()
ANSWER = ["record", "diagnostic", "71-2024", "--agreed-on", "2024-10-15", "--answered-by", "Camille"]


@pytest.fixture
def waiting_diagnosis(cli_db: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Saône-et-Loire 2024 imported, its diagnosis waiting in a (recorded) flow run; no Prefect variable."""
    for name in ("PREFECT_API_URL", "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "CDPPE_UI_URL",
                 "CDPPE_SMTP_HOST", "CDPPE_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CDPPE_DATA_DIR", str(tmp_path))
    imported = runner.invoke(app, ["contract", "import", str(EXAMPLES / "saone-et-loire-2024.yaml")])
    assert imported.exit_code == 0, imported.output
    with Session(engine) as session:
        ex = session.exec(select(Exercice)).one()
        assert ex.id is not None
        get_phase_state(session, ex.id, Phase.DIAGNOSIS).flow_run_id = "6f1e1c8a-1b1b-4c4c-9d9d-000000000001"
        session.commit()
    return tmp_path


def diagnosis_data(engine: Engine) -> dict[str, object]:
    with Session(engine) as session:
        state = session.exec(select(PhaseState).where(PhaseState.phase == Phase.DIAGNOSIS)).one()
        return dict(state.data)


def test_no_stack_known_refuses_before_recording(waiting_diagnosis: Path, engine: Engine) -> None:
    result = runner.invoke(app, ANSWER)
    assert result.exit_code == 1, result.output
    assert "Rien n'a été enregistré" in result.output
    assert "aucun serveur Prefect connu : lancez la pile avec `make up`" in result.output
    assert "Traceback" not in result.output
    assert "agreed_on" not in diagnosis_data(engine)


def test_a_stopped_stack_is_named_and_nothing_is_recorded(waiting_diagnosis: Path, engine: Engine) -> None:
    port = free_port()  # nothing listens there: the stack was stopped without removing its address
    write_address(waiting_diagnosis, StackAddress(api_url=f"http://127.0.0.1:{port}/api",
                                                  ui_url=f"http://127.0.0.1:{port}"))
    result = runner.invoke(app, ANSWER)
    assert result.exit_code == 1, result.output
    assert f"le serveur Prefect ne répond pas à http://127.0.0.1:{port}/api" in result.output
    assert "agreed_on" not in diagnosis_data(engine)


def test_without_resume_the_answer_is_recorded_offline(waiting_diagnosis: Path, engine: Engine) -> None:
    result = runner.invoke(app, [*ANSWER, "--no-resume"])
    assert result.exit_code == 0, result.output
    assert "Enregistré : Diagnostic partagé validé le 15 octobre 2024" in result.output
    assert diagnosis_data(engine)["agreed_on"] == "2024-10-15"
