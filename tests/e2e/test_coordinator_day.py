"""A coordinator's day in the Prefect UI, in headless Chromium, on a real `cdppe up` stack.

Saône-et-Loire 2024 from its diagnosis to its avenant decision, every step answered by filling the
form of the one run that waits; a refused answer read back in the UI; a signed scan uploaded on the
document server's page; a fiche of the report typed in the « rapport-fiche » form; a document opened
from an artifact link; the operators' avenant form filled
and run. Screenshots go to ``CDPPE_UI_SHOTS`` (default: a folder named after the test under the
pytest temporary directory, kept after the run) and the Submit → next form seconds are printed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.flows.cdppe.test_local_stack import free_port

playwright_api = pytest.importorskip("playwright.sync_api")
from tests.e2e import prefect_ui as ui  # noqa: E402 - after the importorskip

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
SAONE = "Saône-et-Loire 2024 · "
WHO = {"Votre nom": "Camille Martin"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% page signee du Departement\n%%EOF\n"


@dataclass
class Stack:
    base_url: str
    documents_url: str
    data: Path

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base_url}/api{path}", data=data,
                                         method="POST" if data else "GET",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def saone_runs(self, *states: str) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sort": "EXPECTED_START_TIME_ASC"}
        if states:
            body["flow_runs"] = {"state": {"type": {"any_": list(states)}}}
        return [r for r in self.api("/flow_runs/filter", body) if r["name"].startswith(SAONE)]

    def log_tails(self, chars: int = 3000) -> str:
        """The end of each process's log of the stack, for a failure's message."""
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}"
                         for log in sorted((self.data / "logs").glob("*.log")))

    def waiting(self) -> dict[str, Any]:
        runs = self.saone_runs("PAUSED")
        assert len(runs) == 1, [(r["name"], r["state"]["name"]) for r in runs]  # one waiting run
        return runs[0]

    def next_step(self, after_state_id: str, timeout: float = 240) -> tuple[dict[str, Any], float]:
        """The run that waits next (a new state id), and the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            paused = self.saone_runs("PAUSED")
            if paused and paused[0]["state"]["id"] != after_state_id:
                return paused[0], time.monotonic() - started
            failed = self.saone_runs("FAILED", "CRASHED")
            assert not failed, failed
            time.sleep(0.25)
        raise TimeoutError(f"no new step within {timeout} s\n{self.log_tails()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    port, smtp, docs = free_port(), free_port(), free_port()
    data = tmp_path_factory.mktemp("ui-stack") / "data"
    env = dict(os.environ, CDPPE_DATA_DIR=str(data))
    for name in ("PREFECT_API_URL", "CDPPE_DATABASE_URL", "PREFECT_HOME", "CDPPE_UI_URL",
                 "CDPPE_DOCUMENTS_URL"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "cdppe.cli", "up", "--port", str(port),
                                "--smtp-port", str(smtp), "--documents-port", str(docs)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    running = Stack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{docs}", data)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the example cycles did not reach their first human step"
            try:
                if len(running.api("/flow_runs/filter", {"flow_runs": {"state": {"type": {
                        "any_": ["PAUSED"]}}}})) >= 3:
                    break
            except OSError:
                pass
            time.sleep(2)
        yield running
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US",
                                  timezone_id="Europe/Paris")
    context.set_default_timeout(ui.DEFAULT_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("CDPPE_UI_SHOTS") or tmp_path_factory.getbasetemp() / "ui-shots")
    return folder / request.node.name


class Coordinator:
    """Answers the waiting step in the browser, as a coordinator does."""

    def __init__(self, stack: Stack, page: Any, shots: Path) -> None:
        self.stack, self.page, self.shots = stack, page, shots
        self.seconds: list[float] = []
        self.count = 0

    def shot(self, name: str) -> None:
        self.count += 1
        ui.screenshot(self.page, self.shots, f"{self.count:02d}-{name}")

    def answer(self, expected_run: str, expected_state: str, values: dict[str, Any],
               name: str) -> dict[str, Any]:
        run = self.stack.waiting()
        assert (run["name"], run["state"]["name"]) == (SAONE + expected_run, expected_state), run
        ui.open_run(self.page, self.stack.base_url, run["id"])
        assert ui.run_state_name(self.page) == expected_state
        ui.open_resume_form(self.page)
        assert "cdppe record" in ui.form_description_text(self.page)  # the step's own command line
        ui.fill_form(self.page, {**values, **WHO})
        self.shot(f"{name}-rempli")
        ui.submit_form(self.page)
        nxt, seconds = self.stack.next_step(run["state"]["id"])
        self.seconds.append(seconds)
        return nxt

    def upload_scan(self, tmp: Path) -> str:
        scan = tmp / "page-signee.pdf"
        scan.write_bytes(PDF)
        self.page.goto(f"{self.stack.documents_url}/televersement")
        self.page.locator("#fichier").set_input_files(str(scan))
        self.page.get_by_role("button", name="Déposer").click()
        reference = self.page.locator("#reference")
        reference.wait_for()
        self.shot("scan-depose")
        return str(reference.inner_text()).strip()


def test_a_coordinator_walks_saone_et_loire_2024_in_the_ui(stack: Stack, page: Any, shots: Path,
                                                          tmp_path: Path) -> None:
    c = Coordinator(stack, page, shots)
    ui.open_runs_list(page, stack.base_url)
    rows = [r for r in ui.runs_list_rows(page) if r.name.startswith(SAONE)]
    c.shot("liste-des-runs-au-depart")
    assert [(r.name, r.state) for r in rows] == [(SAONE + "diagnostic", "En attente du diagnostic partagé")]

    c.answer("diagnostic", "En attente du diagnostic partagé",
             {"Date de validation du diagnostic partagé par les trois parties": date(2024, 10, 15)},
             "diagnostic")
    # A deliberation the rules refuse (convocation 3 days before the session; 12 are required).
    deliberation = {"Numéro de la délibération": "205", "Résultat du vote": "à l'unanimité",
                    "Date de la séance (conseil ou commission permanente)": date(2024, 11, 22)}
    refused = c.answer("délibération", "En attente de délibération",
                       {**deliberation, "Date de convocation du conseil départemental": date(2024, 11, 19)},
                       "deliberation-refusee")
    reason = "convocation 3 jours avant la séance : il en faut au moins 12"
    message = refused["state"]["message"]
    assert message.startswith("Réponse refusée : ") and reason in message, message
    ui.open_run(page, stack.base_url, refused["id"])
    assert reason in ui.run_detail(page, "State Message")
    c.shot("refus-message-d-etat")
    ui.open_resume_form(page)
    assert ui.form_description_text(page).startswith("Réponse refusée") and reason in \
        ui.form_description_text(page)
    number = ui.field(ui.form_root(page), "Numéro de la délibération").locator("textarea").first
    assert number.input_value() == "205"  # the form comes back with what was typed
    c.shot("refus-formulaire-prerempli")
    page.keyboard.press("Escape")

    c.answer("délibération", "En attente de délibération",
             {**deliberation, "Date de convocation du conseil départemental": date(2024, 11, 8)},
             "deliberation")
    c.answer("délibération", "En attente de l'accusé de réception @ctes",
             {"Date de l'accusé de réception de la préfecture (@ctes)": date(2024, 11, 29)},
             "accuse-reception")
    c.answer("signature", "En attente de signature (0/3)",
             {"Nom de la personne qui a signé": "Yves Seguy", "Date de la signature": date(2024, 12, 2)},
             "signature-prefet")
    c.answer("signature", "En attente de signature (1/3)",
             {"Nom de la personne qui a signé": "Jean-Jacques Coiplet",
              "Date de la signature": date(2024, 12, 3)},
             "signature-ars")
    reference = c.upload_scan(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{64}", reference), reference
    c.answer("signature", "En attente de signature (2/3)",
             {"Nom de la personne qui a signé": "André Accary", "Date de la signature": date(2024, 12, 5),
              "Empreinte SHA-256 du scan signé déjà déposé": reference}, "signature-departement")
    for state, received in (("En attente du versement BOP 304 (0/2)", date(2025, 1, 20)),
                            ("En attente du versement FIR (1/2)", date(2025, 2, 10))):
        c.answer("versement des crédits", state, {"Date de réception des fonds": received}, "versement")
    c.answer("avis de l'ODPE", "En attente de la présentation du contrat à l'ODPE",
             {"Date de la séance de l'ODPE où le contrat a été présenté": date(2025, 2, 12)},
             "odpe-presentation")
    c.answer("avis de l'ODPE", "En attente de l'avis de l'ODPE",
             {"Date de la séance de l'ODPE sur le projet de rapport": date(2025, 10, 15),
              "Avis de l'ODPE": "Avis favorable au projet de rapport."}, "odpe")
    enter_a_fiche_of_the_report(c, stack)
    c.answer("rapport d'exécution", "En attente du rapport d'exécution",
             {"Date d'adoption conjointe du rapport d'exécution": date(2025, 11, 10),
              "Numéro de la délibération sur le rapport": "2025-118",
              "Date de transmission au Préfet et à l'ARS": date(2025, 11, 28)}, "rapport")
    run = stack.waiting()
    assert run["state"]["name"] == "En attente de la décision sur l'avenant"
    ui.open_run(page, stack.base_url, run["id"])
    ui.open_resume_form(page)
    ui.fill_form(page, {"Un avenant est-il nécessaire cette année ?": True,
                        "Motif": "Report des crédits non consommés", **WHO})
    c.shot("decision-avenant-remplie")
    ui.submit_form(page)
    deadline = time.monotonic() + 240
    while stack.saone_runs("PAUSED", "RUNNING", "SCHEDULED", "PENDING"):
        assert time.monotonic() < deadline, f"the last phase did not complete\n{stack.log_tails()}"
        time.sleep(0.5)

    # The runs list reads like the status: each phase once, Completed, nothing waiting.
    ui.open_runs_list(page, stack.base_url)
    rows = [r for r in ui.runs_list_rows(page) if r.name.startswith(SAONE)]
    c.shot("liste-des-runs-a-la-fin")
    assert sorted(r.name for r in rows) == sorted(SAONE + p for p in (
        "diagnostic", "délibération", "signature", "versement des crédits", "avis de l'ODPE",
        "rapport d'exécution", "avenant", "rapport, fiche 1")), rows
    assert {r.state for r in rows} == {"Completed"}, rows

    open_a_document_from_an_artifact(c, stack)
    run_the_avenant_form(c, stack)
    median = sorted(c.seconds)[len(c.seconds) // 2]
    print(f"Submit → next form: {len(c.seconds)} answers, median {median:.1f} s, "
          f"worst {max(c.seconds):.1f} s")


def enter_a_fiche_of_the_report(c: Coordinator, stack: Stack) -> None:
    """Fiche 1's report typed in the ``rapport-fiche`` form while the report step waits."""
    deployment = next(d for d in stack.api("/deployments/filter", {}) if d["name"] == "rapport-fiche")
    c.page.goto(f"{stack.base_url}/deployments/deployment/{deployment['id']}/run")
    ui.fill_form(c.page, {"Contrat (ex. 71-2024)": "71-2024", "Exercice du rapport": 2024,
                          "Numéro de la fiche (13a = 13 a)": "1", "Statut de l'action": "réalisée",
                          "Crédits État consommés en euros (ex. 12500,50)": "30000,00",
                          "Bilan": "Entretiens prénataux proposés à toutes les femmes enceintes suivies.",
                          "Votre nom": "Camille Martin"})
    c.shot("formulaire-fiche-du-rapport")
    submit_deployment_form(c, stack, deployment["id"])
    deadline = time.monotonic() + 240
    while True:
        runs = [r for r in stack.saone_runs() if r["name"] == SAONE + "rapport, fiche 1"]
        if runs and runs[0]["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED"):
            break
        assert time.monotonic() < deadline, f"the fiche's run did not end: {runs}\n{stack.log_tails()}"
        time.sleep(0.5)
    assert runs[0]["state"]["message"].startswith("Fiche 1 du rapport 2024 enregistrée : réalisée, État "
                                                  "consommé 30"), runs[0]["state"]


def submit_deployment_form(c: Coordinator, stack: Stack, deployment_id: str) -> None:
    """Submit a deployment's run form until the server has the run.

    The local Prefect server on SQLite sometimes answers 503 (`database is locked`) under load;
    the UI then stays on the form with an error toast, and the person submits again.
    """
    def created() -> list[Any]:
        return list(stack.api("/flow_runs/filter", {"deployments": {"id": {"any_": [deployment_id]}}}))

    before = len(created())
    submit = c.page.get_by_role("button", name="Submit", exact=True)
    for _attempt in range(3):
        submit.click()
        waited_until = time.monotonic() + 30
        while time.monotonic() < waited_until:
            if len(created()) > before:
                return
            time.sleep(0.5)
        c.shot("formulaire-non-accepte")
        if not submit.is_visible():
            break
    raise AssertionError(f"the form created no run: {c.page.locator('body').inner_text()[:1500]}"
                         f"\n{stack.log_tails()}")


def open_a_document_from_an_artifact(c: Coordinator, stack: Stack) -> None:
    signature = next(r for r in stack.saone_runs() if r["name"] == SAONE + "signature")
    ui.open_run(c.page, stack.base_url, signature["id"])
    cards = [a for a in ui.artifact_links(c.page) if a.title == "cdppe-71-2024-2024-signature"]
    assert cards, "the signature's summary artifact"
    c.page.goto(stack.base_url + cards[0].href)
    link = c.page.locator(f"a[href^='{stack.documents_url}/documents/'][href$='.html']").first
    link.wait_for()
    c.shot("artifact-signature")
    href = link.get_attribute("href")
    assert href is not None
    c.page.goto(href)
    assert "Saône-et-Loire" in c.page.locator("body").inner_text()
    c.shot("document-ouvert")


def run_the_avenant_form(c: Coordinator, stack: Stack) -> None:
    deployment = next(d for d in stack.api("/deployments/filter", {}) if d["name"] == "avenant")
    c.page.goto(f"{stack.base_url}/deployments/deployment/{deployment['id']}/run")
    ui.fill_form(c.page, {"Contrat (ex. 71-2024)": "71-2024", "Exercice": 2024, "Votre nom": "Camille Martin",
                          "Objet de l'avenant": "Crédits supplémentaires FIR pour la PMI"})
    envelopes = ui.field(c.page.locator("body"), "Nouvelles enveloppes")
    envelopes.get_by_role("button", name="Add item").click()
    ui.fill_field(c.page, ui.field(envelopes, "Enveloppe"), "FIR")
    ui.fill_field(c.page, ui.field(envelopes, "Crédits supplémentaires"), "25000")
    ui.fill_field(c.page, ui.field(envelopes, "Fiche qui reçoit les crédits ajoutés"), "1")
    c.shot("formulaire-avenant")
    submit_deployment_form(c, stack, deployment["id"])
    deadline = time.monotonic() + 300
    while not [r for r in stack.saone_runs("PAUSED") if r["name"].endswith("(avenant n° 1)")]:
        assert time.monotonic() < deadline, (
            "the avenant's deliberation did not start: "
            f"{[(r['name'], r['state']['name']) for r in stack.saone_runs()]}\n{stack.log_tails()}")
        time.sleep(0.5)
    opened = next(r for r in stack.saone_runs("COMPLETED") if r["name"] == SAONE + "demande d'avenant")
    assert opened["state"]["message"].startswith("Avenant n° 1 ouvert")
    waiting = stack.waiting()
    assert waiting["name"] == SAONE + "délibération (avenant n° 1)"
    assert waiting["state"]["name"] == "En attente de délibération"
    ui.open_runs_list(c.page, stack.base_url)
    c.shot("liste-des-runs-avenant")
