"""Documents per second for HTML and DOCX, and one exercice in html, docx and pdf, on the Creuse example.

Usage: ``.venv/bin/python benchmarks/bench_documents.py [--rounds 5] [--quick] [--example FILE]``

Measures, on a fresh SQLite database in a temporary directory:
1. rendering only (context built once per exercice, no I/O): HTML documents per
   second (Jinja2 alone), then DOCX documents per second (Jinja2 + HTML→DOCX);
2. end to end, as the flows run it: ``generate_step_documents`` for every step
   of every exercice, in html + docx (database read, render, write, record; a new
   version of every document each pass);
   and, for each, the share of the time spent in the template engine (Jinja2);
3. one exercice's documents (every step of the first exercice), format by format: HTML,
   DOCX, then PDF "before" (``docx_to_pdf`` outside ``pdf_converter()``: one LibreOffice
   started per document, the old path) beside "after" (one LibreOffice kept warm for the
   exercice, as ``cdppe documents generate --format html,docx,pdf`` runs it), with one
   LibreOffice per step's batch between the two; the before and after PDFs are checked
   to hold the same text (``pdftotext``);
4. that exercice in all three formats end to end (``generate_step_documents`` for every
   step, database and files included), before and after.
Parts 3 and 4 print a table of min / median over ``--rounds`` (``--quick``: 2 rounds
unless ``--rounds`` says otherwise). ``run(rounds)`` gives ``bench_user_waits.py`` its row.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "creuse-2025-2027.yaml"


@dataclass
class Setup:
    engine: Any
    contract_id: int
    exercices: list[Any]
    contexts: list[Any]
    context_seconds: float
    contract: Any


def setup(tmp: Path, example: Path = EXAMPLE) -> Setup:
    """The example imported into a fresh SQLite database under ``tmp``; each exercice's context."""
    from sqlmodel import Session, col, select

    from cdppe.present.documents import build_context
    from cdppe.services.contract_io import read_contract_file
    from cdppe.services.importer import import_contract
    from cdppe.store.db import engine_for, upgrade
    from models import Exercice

    engine = engine_for(f"sqlite:///{tmp / 'bench.sqlite'}")
    upgrade(engine)
    cf = read_contract_file(example)
    with Session(engine, expire_on_commit=False) as session:
        contract_id = import_contract(session, cf, "bench").contract_id
        session.commit()
        exercices = list(session.exec(select(Exercice).where(Exercice.contract_id == contract_id)
                                      .order_by(col(Exercice.year))).all())
        t0 = time.perf_counter()
        contexts = [build_context(session, contract_id, e.id or 0) for e in exercices]
        context_seconds = (time.perf_counter() - t0) / len(contexts)
    return Setup(engine, contract_id, exercices, contexts, context_seconds, cf)


def steps() -> list[Any]:
    from models.enums import Phase

    return [p for p in Phase if p is not Phase.AMENDMENT]


def swap(module: Any, name: str, value: Any) -> Any:
    """Replace ``module.name`` (the benchmark's instrumentation); returns what was there."""
    old = getattr(module, name)
    setattr(module, name, value)
    return old


def rendering_only(jobs: list[tuple[Any, Any]], rounds: int) -> None:
    from cdppe.present.documents import html_to_docx, render_document

    html_times, docx_times, jinja_in_docx, convert_in_docx = [], [], [], []
    pages: list[tuple[Any, str]] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        pages = [(kind, render_document(kind, ctx)) for ctx, kind in jobs]
        html_times.append(time.perf_counter() - t0)
        jinja = convert = 0.0
        for ctx, kind in jobs:
            t1 = time.perf_counter()
            html = render_document(kind, ctx)
            t2 = time.perf_counter()
            html_to_docx(html, kind.label)
            t3 = time.perf_counter()
            jinja += t2 - t1
            convert += t3 - t2
        jinja_in_docx.append(jinja)
        convert_in_docx.append(convert)
        docx_times.append(jinja + convert)
    sizes = sorted(len(page) for _, page in pages)
    n = len(jobs)
    docx_share = statistics.median(j / (j + c) for j, c in zip(jinja_in_docx, convert_in_docx,
                                                                strict=True))
    print()
    print("Rendu seul (contexte déjà construit, sans écriture) :")
    print(f"  HTML : {n / statistics.median(html_times):8.1f} documents/s  (Jinja2 : 100 % du temps ; "
          f"HTML médian {sizes[len(sizes) // 2] / 1024:.0f} Kio, max {sizes[-1] / 1024:.0f} Kio)")
    print(f"  DOCX : {n / statistics.median(docx_times):8.1f} documents/s  (Jinja2 : {docx_share:.1%} "
          f"du temps, HTML→DOCX python-docx : {1 - docx_share:.1%})")


def end_to_end(bench: Setup, rounds: int) -> None:
    """``generate_step_documents`` for every step of every exercice, html + docx, Jinja2 timed inside."""
    from sqlmodel import Session

    import cdppe.present.documents.generate as generate_module

    jinja_spent = [0.0]
    original: Callable[..., str] = getattr(generate_module, "render_document")  # noqa: B009

    def timed_render(*a: Any, **kw: Any) -> str:
        t = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            jinja_spent[0] += time.perf_counter() - t

    swap(generate_module, "render_document", timed_render)
    e2e_rates, e2e_shares = [], []
    files = 0
    try:
        for _ in range(rounds):
            jinja_spent[0] = 0.0
            t0 = time.perf_counter()
            with Session(bench.engine, expire_on_commit=False) as session:
                docs = []
                for e in bench.exercices:
                    for step in steps():
                        docs += generate_module.generate_step_documents(
                            session, bench.contract_id, e.id or 0, step, ("html", "docx"),
                            new_version=True)
                session.commit()
            elapsed = time.perf_counter() - t0
            files = len(docs)
            e2e_rates.append(files / elapsed)
            e2e_shares.append(jinja_spent[0] / elapsed)
    finally:
        swap(generate_module, "render_document", original)
    print()
    print("De bout en bout (generate_step_documents : base, rendu, écriture, enregistrement) :")
    print(f"  {statistics.median(e2e_rates):8.1f} fichiers/s ({files // 2} documents × html + docx "
          f"par passe, {statistics.median(e2e_rates) / 2:.1f} documents/s dans les deux formats)")
    print(f"  Jinja2 : {statistics.median(e2e_shares):.1%} du temps total")


# --- one exercice, format by format, PDF before / after ----------------------------------------


def exercice_docx(ctx: Any) -> list[list[tuple[str, bytes]]]:
    """Every step's documents of one exercice as ``(label, docx)``, step by step."""
    from cdppe.present.documents import html_to_docx, render_document, step_kinds

    return [[(k.label, html_to_docx(render_document(k, ctx), f"{k.label} — {ctx.title}"))
             for k in step_kinds(step, ctx)] for step in steps()]


def pdf_cold(by_step: list[list[tuple[str, bytes]]]) -> list[bytes]:
    """Before: one LibreOffice started (with a new profile) for each document."""
    from cdppe.present.documents.pdf import docx_to_pdf

    return [docx_to_pdf(docx, label) for batch in by_step for label, docx in batch]


def pdf_batches(by_step: list[list[tuple[str, bytes]]]) -> list[bytes]:
    """One LibreOffice start per step's batch (``render_step`` outside ``pdf_converter()``)."""
    from cdppe.present.documents.pdf import docx_to_pdf_many

    return [pdf for batch in by_step
            for pdf in docx_to_pdf_many([d for _, d in batch], [n for n, _ in batch])]


def pdf_warm(by_step: list[list[tuple[str, bytes]]]) -> list[bytes]:
    """After: one LibreOffice kept warm for the exercice, its start included."""
    from cdppe.present.documents.pdf import pdf_converter

    with pdf_converter():
        return pdf_batches(by_step)


def timed(function: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - t0, result


def same_text(before: list[bytes], after: list[bytes]) -> str:
    if shutil.which("pdftotext") is None:
        return "non vérifié (pdftotext absent)"

    def text(pdf: bytes) -> bytes:
        return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout

    differ = sum(text(b) != text(a) for b, a in zip(before, after, strict=True))
    return "même texte dans chaque PDF" if differ == 0 else f"{differ} PDF DIFFÉRENTS"


Row = tuple[str, int, list[float] | None, list[float]]  # what, documents, before, after


def formats_rows(ctx: Any, rounds: int) -> tuple[list[Row], str]:
    from cdppe.present.documents import render_document, step_kinds

    kinds = [k for step in steps() for k in step_kinds(step, ctx)]
    html, docx, cold, batches, warm = [], [], [], [], []
    check = ""
    for _ in range(rounds):
        html.append(timed(lambda: [render_document(k, ctx) for k in kinds])[0])
        seconds, by_step = timed(exercice_docx, ctx)
        docx.append(seconds)
        seconds, before = timed(pdf_cold, by_step)
        cold.append(seconds)
        batches.append(timed(pdf_batches, by_step)[0])
        seconds, after = timed(pdf_warm, by_step)
        warm.append(seconds)
        check = check or same_text(before, after)
    n = len(kinds)
    return [("html (Jinja2)", n, None, html),
            ("docx (Jinja2 + HTML→DOCX)", n, None, docx),
            ("pdf depuis le DOCX : un LibreOffice par étape (lot)", n, cold, batches),
            ("pdf depuis le DOCX : un LibreOffice chaud pour l'exercice", n, cold, warm)], check


@contextmanager
def cold_pdf_path() -> Iterator[None]:
    """``render_step`` as it was: every PDF through its own LibreOffice."""
    import cdppe.present.documents.generate as generate_module
    from cdppe.present.documents.pdf import docx_to_pdf

    def one_by_one(docs: list[bytes], names: list[str]) -> list[bytes]:
        return [docx_to_pdf(d, n) for d, n in zip(docs, names, strict=True)]

    original = swap(generate_module, "docx_to_pdf_many", one_by_one)
    try:
        yield
    finally:
        swap(generate_module, "docx_to_pdf_many", original)


def whole_exercice_row(bench: Setup, rounds: int) -> Row:
    """``generate_step_documents`` for every step of the first exercice in html, docx and pdf."""
    from sqlmodel import Session

    from cdppe.present.documents import generate_step_documents
    from cdppe.present.documents.pdf import pdf_converter

    def one_pass(context: Any) -> int:
        with Session(bench.engine, expire_on_commit=False) as session, context:
            files = sum(len(generate_step_documents(session, bench.contract_id, bench.exercices[0].id,
                                                    step, ("html", "docx", "pdf"), new_version=True))
                        for step in steps())
            session.commit()
        return files

    before, after = [], []
    files = 0
    for _ in range(rounds):
        with cold_pdf_path():
            before.append(timed(one_pass, nullcontext())[0])
        seconds, files = timed(one_pass, pdf_converter(eager=True))  # as the CLI does
        after.append(seconds)
    return (f"exercice complet, html + docx + pdf ({files} fichiers, base et écriture comprises)",
            files // 3, before, after)


def print_table(rows: list[Row]) -> None:
    print("| mesure | documents | avant min | avant médiane | après min | après médiane | avant / après |")
    print("|---|---|---|---|---|---|---|")
    for name, n, before, after in rows:
        median = statistics.median(after)
        if before is None:
            print(f"| {name} | {n} | inchangé | inchangé | {min(after):.3f} s | {median:.3f} s | — |")
            continue
        print(f"| {name} | {n} | {min(before):.3f} s | {statistics.median(before):.3f} s | "
              f"{min(after):.3f} s | {median:.3f} s | {statistics.median(before) / median:.1f} × |")


def run(rounds: int) -> tuple[list[float], list[float], int, list[float]]:
    """One exercice's PDFs: (warm LibreOffice, its start included; the floor: the same
    LibreOffice already running, conversions alone; documents; one LibreOffice per document)."""
    from cdppe.present.documents.pdf import pdf_converter

    with tempfile.TemporaryDirectory(prefix="cdppe-bench-pdf-") as tmp:
        bench = setup(Path(tmp))
        by_step = exercice_docx(bench.contexts[0])
        ours, floors = [], []
        for _ in range(rounds):
            ours.append(timed(pdf_warm, by_step)[0])
            with pdf_converter():
                pdf_batches(by_step[:1])  # started and warmed
                floors.append(timed(pdf_batches, by_step)[0])
        cold = [timed(pdf_cold, by_step)[0]]
    return ours, floors, sum(len(b) for b in by_step), cold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="repetitions of each measure (5)")
    parser.add_argument("--quick", action="store_true", help="2 rounds unless --rounds says otherwise")
    parser.add_argument("--example", type=Path, default=EXAMPLE)
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)

    tmp = Path(tempfile.mkdtemp(prefix="cdppe-bench-"))
    os.environ["CDPPE_DATA_DIR"] = str(tmp / "data")
    os.environ.pop("CDPPE_DATABASE_URL", None)
    load_before = os.getloadavg()
    bench = setup(tmp, args.example)
    jobs = [(ctx, kind) for ctx in bench.contexts for step in steps() for kind in _kinds(step, ctx)]
    print(f"Exemple : {args.example.name} — contrat {bench.contract.key}, {len(bench.contract.fiches)} "
          f"fiches, {len(bench.exercices)} exercices, {len(jobs)} documents par passe "
          f"({len(steps())} étapes × {len(bench.exercices)} exercices), {rounds} passes")
    print(f"Construction du contexte (lecture de la base) : {bench.context_seconds * 1000:.1f} ms "
          "par exercice")
    rendering_only(jobs, rounds)
    end_to_end(bench, rounds)

    print()
    print(f"Un exercice ({bench.exercices[0].year}), toutes ses étapes, format par format ; PDF avant "
          "(un LibreOffice démarré par document) et après (un LibreOffice chaud pour l'exercice) :")
    rows, check = formats_rows(bench.contexts[0], rounds)
    rows.append(whole_exercice_row(bench, rounds))
    print_table(rows)
    print(f"PDF avant / après : {check}. Charge moyenne avant : {load_before[0]:.2f}, "
          f"après : {os.getloadavg()[0]:.2f} ({os.cpu_count()} cœurs)")
    print(f"\nFichiers écrits sous {tmp}")


def _kinds(step: Any, ctx: Any) -> list[Any]:
    from cdppe.present.documents import step_kinds

    return list(step_kinds(step, ctx))


if __name__ == "__main__":
    main()
