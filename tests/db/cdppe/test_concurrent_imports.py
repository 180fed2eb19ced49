"""Finding 7 of issue 17: the same avenant or the same new file by several operators at once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from cdppe.services import amendments
from cdppe.services.amendments import open_amendment
from models import Amendment, Contract, Exercice
from tests.conftest import EXAMPLES, _pg_schema_url
from tests.db.cdppe.test_amendments import AS_OF, request, two_years


def test_an_avenant_opened_meanwhile_by_another_run_is_a_duplicate_not_a_refusal(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(engine) as session:
        two_years(session)
    original = amendments.plan_amendment

    def plan_while_the_other_commits(*args: object, **kwargs: object) -> object:
        with Session(engine, expire_on_commit=False) as other:  # the winner, in its own transaction
            contract = other.exec(select(Contract)).one()
            ex25 = other.exec(select(Exercice).where(Exercice.year == 2025)).one()
            monkeypatch.setattr(amendments, "plan_amendment", original)
            open_amendment(other, contract, ex25, request(requested_by="op-1"), AS_OF, flow_run_id="op-1")
            other.commit()
        return original(*args, **kwargs)  # type: ignore[arg-type]

    with Session(engine, expire_on_commit=False) as session:
        contract = session.exec(select(Contract)).one()
        ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
        monkeypatch.setattr(amendments, "plan_amendment", plan_while_the_other_commits)
        loser = open_amendment(session, contract, ex25, request(requested_by="op-2"), AS_OF,
                               flow_run_id="op-2")
        session.commit()
    assert loser.number == 1 and loser.duplicate
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Amendment)).one() == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has run on yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'neuve.sqlite'}"
    else:
        yield from _pg_schema_url()


def test_the_same_new_file_imported_by_three_processes_at_once(fresh_db: str, tmp_path: Path) -> None:
    env = {**os.environ, "CDPPE_DATABASE_URL": fresh_db, "CDPPE_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "cdppe.cli", "contract", "import",
               str(EXAMPLES / "saone-et-loire-2024.yaml")]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(3)]
    outputs = [(p.wait(timeout=120), p.stdout.read() if p.stdout else "") for p in procs]
    assert all(code == 0 for code, _ in outputs), outputs
    assert all("Traceback" not in out and "Erreur inattendue" not in out for _, out in outputs), outputs
    created = [out for _, out in outputs if "créé" in out]
    assert len(created) == 1 and sum("inchangé" in out for _, out in outputs) == 2, outputs
