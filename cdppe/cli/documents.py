"""``cdppe documents``: generate, list and sign the documents of the cycle (French output)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cdppe.domain.document_kinds import DocumentKind
from models.enums import Phase

documents_app = typer.Typer(no_args_is_help=True, help="Documents de chaque étape du cycle.")
console = Console()
err = Console(stderr=True)

DEFAULT_STEPS = (Phase.DIAGNOSIS, Phase.DELIBERATION, Phase.SIGNATURE, Phase.CREDIT_PAYMENT,
                 Phase.ODPE_REVIEW, Phase.EXECUTION_REPORT)
AVENANT_STEPS = (Phase.DELIBERATION, Phase.AMENDMENT)
STEP_NAMES = ", ".join(p.value for p in Phase)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]Erreur[/] : {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _steps(step: str | None, avenant: int) -> tuple[Phase, ...]:
    if step is None:
        return AVENANT_STEPS if avenant else DEFAULT_STEPS
    try:
        return (Phase(step.strip().lower()),)
    except ValueError:
        raise _fail(f"étape {step!r} inconnue (étapes : {STEP_NAMES})") from None


def _kind_label(kind: str) -> str:
    try:
        return DocumentKind(kind).label
    except ValueError:
        return kind


@documents_app.command("generate")
def generate(
    contract: Annotated[str, typer.Argument(help="Contrat : id ou clé (ex. 71-2024)")],
    step: Annotated[str | None, typer.Option("--step", help=f"Étape : {STEP_NAMES} (défaut : toutes)")]
    = None,
    formats: Annotated[str, typer.Option("--format", help="Formats séparés par des virgules : "
                                                          "html, docx, pdf")] = "html,docx",
    out: Annotated[Path | None, typer.Option("--out", help="Dossier de sortie (défaut : "
                                                           "dossier des documents)")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Exercice (défaut : le premier)")] = None,
    avenant: Annotated[int, typer.Option("--avenant", min=0, help="Numéro d'avenant (0 : contrat)")]
    = 0,
    new_version: Annotated[bool, typer.Option("--nouvelle-version", help="Émet une nouvelle version de "
                                              "chaque document à partir des données du jour ; "
                                              "les versions antérieures restent")] = False,
) -> None:
    """Émet les documents d'une étape (ou de toutes) : un document déjà émis est conservé tel quel."""
    from cdppe.core.dates import utcnow
    from cdppe.present.documents import DocumentError, generate_step_documents, parse_formats
    from cdppe.present.documents.pdf import pdf_converter, require_pdf
    from cdppe.store.contracts import ContractNotFoundError, find_contract, find_exercice
    from cdppe.store.db import session_scope

    steps = _steps(step, avenant)
    try:
        fmts = parse_formats(formats)
        if "pdf" in fmts:
            require_pdf()
    except DocumentError as exc:
        raise _fail(str(exc)) from exc
    rows = []
    started = utcnow()  # a record older than this call was issued before: kept as it is
    try:
        # one LibreOffice for every step's PDF, started while the first documents are rendered
        with session_scope() as session, pdf_converter(eager="pdf" in fmts):
            found = find_contract(session, contract)
            exercice = find_exercice(session, found, year)
            assert found.id is not None and exercice.id is not None
            for phase in steps:
                for doc in generate_step_documents(session, found.id, exercice.id, phase, fmts,
                                                   avenant, out.resolve() if out else None,
                                                   new_version=new_version):
                    rows.append((phase.label, _kind_label(doc.kind), doc.fmt, doc.version,
                                 doc.path, doc.generated_at < started))
    except (ContractNotFoundError, DocumentError) as exc:
        raise _fail(str(exc)) from exc
    if not rows:
        console.print("Aucun document à produire pour cette étape.")
        return
    kept = sum(1 for row in rows if row[-1])
    done = f"{len(rows) - kept} document(s) produit(s)"
    if kept:
        done += f", {kept} déjà émis et conservé(s) tel(s) quel(s) (--nouvelle-version pour en émettre une " \
                "nouvelle version)"
    console.print(f"{done} — contrat {found.key}, exercice {exercice.year} :", highlight=False,
                  soft_wrap=True)
    for phase_label, label, fmt, version, path, was_issued in rows:
        state = ", déjà émise" if was_issued else ""
        console.print(f"  {phase_label} — {label}, version {version}{state} ({fmt}) : {path}",
                      highlight=False, soft_wrap=True)


@documents_app.command("list")
def list_cmd(contract: Annotated[str, typer.Argument(help="Contrat : id ou clé")]) -> None:
    """Liste les documents produits pour un contrat, toutes versions."""
    from cdppe.present.documents import list_documents
    from cdppe.store.contracts import ContractNotFoundError, find_contract
    from cdppe.store.db import session_scope

    try:
        with session_scope() as session:
            found = find_contract(session, contract)
            assert found.id is not None
            docs = list_documents(session, found.id)
    except ContractNotFoundError as exc:
        raise _fail(str(exc)) from exc
    table = Table("Id", "Exercice", "Avenant", "Document", "Format", "Version", "Signé", "Fichier")
    for d in docs:
        table.add_row(str(d.id), str(d.exercice_id or "—"), str(d.avenant_number or "—"), d.kind,
                      d.fmt, str(d.version), "oui" if d.signed else "non", d.path)
    console.print(table, soft_wrap=True)


@documents_app.command("sign")
def sign(document_id: Annotated[int, typer.Argument(help="Id du document (voir « list »)")]) -> None:
    """Marque un document comme signé : il ne sera plus jamais remplacé."""
    from cdppe.present.documents import DocumentError, mark_signed
    from cdppe.store.db import session_scope

    try:
        with session_scope() as session:
            doc = mark_signed(session, document_id)
    except DocumentError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"Document {doc.id} ({_kind_label(doc.kind)}, version {doc.version}) "
                  "marqué comme signé.", highlight=False)


@documents_app.command("deposit")
def deposit(file: Path) -> None:
    """Dépose un scan signé (PDF vérifié par son contenu, taille limitée) et affiche son empreinte.

    L'empreinte SHA-256 se saisit dans le champ « scan_sha256 » du formulaire de signature de
    l'interface ; le formulaire ne prend jamais un chemin de fichier.
    """
    from cdppe.services.uploads import UploadRefusedError, ingest_operator_file

    try:
        ingested = ingest_operator_file(file, "fichier")
    except UploadRefusedError as exc:
        raise _fail(f"{exc} ; rien n'a été déposé") from exc
    console.print(f"Scan déposé ({ingested.size} octets). Empreinte SHA-256 : {ingested.sha256}",
                  highlight=False, soft_wrap=True)


@documents_app.command("serve")
def serve_documents(port: int = typer.Option(4201, help="Port HTTP"),
                    host: str = typer.Option("127.0.0.1", help="Adresse d'écoute")) -> None:
    """Sert les documents (liens des artifacts et courriels) et la page de dépôt des scans signés."""
    from cdppe.ops.document_server import serve

    serve(host, port)
