"""Documents per second for HTML and DOCX on the Creuse 2025-2027 example.

Usage: ``.venv/bin/python benchmarks/bench_documents.py [--rounds 5] [--example FILE]``

Measures, on a fresh SQLite database in a temporary directory:
1. rendering only (context built once per exercice, no I/O): HTML documents per
   second (Jinja2 alone), then DOCX documents per second (Jinja2 + HTML→DOCX);
2. end to end, as the flows run it: ``generate_step_documents`` for every step
   of every exercice, in html + docx (database read, render, write, record);
and, for each, the share of the time spent in the template engine (Jinja2).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="repetitions of each measure")
    parser.add_argument("--example", type=Path, default=ROOT / "examples" / "creuse-2025-2027.yaml")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cdppe-bench-"))
    os.environ["CDPPE_DATA_DIR"] = str(tmp / "data")
    os.environ.pop("CDPPE_DATABASE_URL", None)

    from sqlmodel import Session, col, select

    import cdppe.present.documents.generate as generate_module
    from cdppe.present.documents import build_context, html_to_docx, render_document, step_kinds
    from cdppe.services.contract_io import read_contract_file
    from cdppe.services.importer import import_contract
    from cdppe.store.db import engine_for, upgrade
    from models import Exercice
    from models.enums import Phase

    engine = engine_for(f"sqlite:///{tmp / 'bench.sqlite'}")
    upgrade(engine)
    cf = read_contract_file(args.example)
    with Session(engine, expire_on_commit=False) as session:
        contract_id = import_contract(session, cf, "bench").contract_id
        session.commit()
        exercices = session.exec(select(Exercice).where(Exercice.contract_id == contract_id)
                                 .order_by(col(Exercice.year))).all()
        t0 = time.perf_counter()
        contexts = [build_context(session, contract_id, e.id or 0) for e in exercices]
        context_seconds = (time.perf_counter() - t0) / len(contexts)
    steps = [p for p in Phase if p is not Phase.AMENDMENT]
    jobs = [(ctx, kind) for ctx in contexts for step in steps for kind in step_kinds(step, ctx)]
    print(f"Exemple : {args.example.name} — contrat {cf.key}, {len(cf.fiches)} fiches, "
          f"{len(exercices)} exercices, {len(jobs)} documents par passe "
          f"({len(steps)} étapes × {len(exercices)} exercices), {args.rounds} passes")
    print(f"Construction du contexte (lecture de la base) : {context_seconds * 1000:.1f} ms par exercice")

    # 1. rendering only
    html_times, docx_times, jinja_in_docx, convert_in_docx = [], [], [], []
    for _ in range(args.rounds):
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
    html_rate = n / statistics.median(html_times)
    docx_rate = n / statistics.median(docx_times)
    docx_share = statistics.median(j / (j + c) for j, c in zip(jinja_in_docx, convert_in_docx,
                                                                strict=True))
    print()
    print("Rendu seul (contexte déjà construit, sans écriture) :")
    print(f"  HTML : {html_rate:8.1f} documents/s  (Jinja2 : 100 % du temps ; "
          f"HTML médian {sizes[len(sizes) // 2] / 1024:.0f} Kio, max {sizes[-1] / 1024:.0f} Kio)")
    print(f"  DOCX : {docx_rate:8.1f} documents/s  (Jinja2 : {docx_share:.1%} du temps, "
          f"HTML→DOCX python-docx : {1 - docx_share:.1%})")

    # 2. end to end, as the flows call it, with the template engine timed inside
    jinja_spent = [0.0]
    original: Callable[..., str] = generate_module.render_document

    def timed_render(*a: Any, **kw: Any) -> str:
        t = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            jinja_spent[0] += time.perf_counter() - t

    generate_module.render_document = timed_render  # type: ignore[assignment]
    e2e_rates, e2e_shares = [], []
    files = 0
    for _ in range(args.rounds):
        jinja_spent[0] = 0.0
        t0 = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            docs = []
            for e in exercices:
                for step in steps:
                    docs += generate_module.generate_step_documents(
                        session, contract_id, e.id or 0, step, ("html", "docx"))
            session.commit()
        elapsed = time.perf_counter() - t0
        files = len(docs)
        e2e_rates.append(files / elapsed)
        e2e_shares.append(jinja_spent[0] / elapsed)
    generate_module.render_document = original
    print()
    print("De bout en bout (generate_step_documents : base, rendu, écriture, enregistrement) :")
    print(f"  {statistics.median(e2e_rates):8.1f} fichiers/s ({files // 2} documents × html + docx "
          f"par passe, {statistics.median(e2e_rates) / 2:.1f} documents/s dans les deux formats)")
    print(f"  Jinja2 : {statistics.median(e2e_shares):.1%} du temps total")
    print(f"\nFichiers écrits sous {tmp}")


if __name__ == "__main__":
    main()
