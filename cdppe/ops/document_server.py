"""The documents over HTTP, and the one upload door for signed scans (``cdppe documents serve``).

Artifacts and e-mails link here (``/documents/<id>/<file>``): a browser opens an ``http`` link,
never a ``file://`` one. ``/televersement`` takes a signed PDF (checked by content, size
limited, stored under its sha256 by :mod:`cdppe.services.uploads`) and gives back the reference the
signature form asks for. With an auth string set (``CDPPE_DOCUMENTS_AUTH_STRING``, by default
the Prefect server's ``PREFECT_SERVER_API_AUTH_STRING``), every request needs it (HTTP Basic),
as the Prefect API does.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import tempfile
from collections.abc import Awaitable, Callable
from html import escape
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from cdppe.core.settings import get_settings

MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
UPLOAD_FIELD = "Scan signé"


def auth_string() -> str | None:
    return os.environ.get("CDPPE_DOCUMENTS_AUTH_STRING") or os.environ.get("PREFECT_SERVER_API_AUTH_STRING")


def authorised(request: Request, expected: str | None) -> bool:
    if not expected:
        return True
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        given = base64.b64decode(header[6:]).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given, expected)


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1e1e1e}}
code{{background:#f1f1f1;padding:.1rem .3rem;word-break:break-all}}.erreur{{color:#b00020}}</style></head>
<body><h1>{escape(title)}</h1>{body}</body></html>""", status_code=status)


async def index(request: Request) -> Response:
    return page("Documents des contrats CDPPE",
                '<p>Les liens des artifacts et des courriels ouvrent les documents ici.</p>'
                '<p><a href="/televersement">Déposer un scan signé (PDF)</a></p>')


async def document(request: Request) -> Response:
    from cdppe.store.db import session_scope
    from models import GeneratedDocument

    settings = get_settings()
    with session_scope() as session:
        doc = session.get(GeneratedDocument, int(request.path_params["doc_id"]))
        path = Path(doc.path) if doc else None
        fmt = doc.fmt if doc else ""
    root = settings.documents_dir.resolve()
    if path is None or path.name != request.path_params["name"]:
        return page("Document introuvable", "<p>Ce document n'existe pas.</p>", 404)
    real = path.resolve()
    if root not in real.parents or not real.is_file():
        return page("Document introuvable", "<p>Ce document n'est plus dans les archives.</p>", 404)
    return FileResponse(real, media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"),
                        content_disposition_type="inline", filename=real.name)


UPLOAD_FORM = """<p>Choisissez le PDF de la page signée. Il est vérifié (PDF, {limit} au plus), conservé avec
son empreinte SHA-256, puis cette page affiche la <strong>référence</strong> à coller dans le champ
« Empreinte SHA-256 du scan signé déjà déposé » du formulaire de signature.</p>
<form id="depot"><input type="file" id="fichier" name="fichier" accept="application/pdf,.pdf" required>
<button type="submit">Déposer</button></form><p id="resultat" role="status"></p>
<script>
document.getElementById('depot').addEventListener('submit', async (e) => {{
  e.preventDefault();
  const file = document.getElementById('fichier').files[0];
  const out = document.getElementById('resultat');
  out.textContent = 'Dépôt en cours…';
  const r = await fetch('/televersement', {{method: 'PUT', body: file,
    headers: {{'Content-Type': 'application/pdf', 'X-Nom-Fichier': encodeURIComponent(file.name)}}}});
  const data = await r.json();
  if (r.ok) {{
    out.className = '';
    out.innerHTML = 'Déposé. Référence à coller dans le formulaire : <code id="reference"></code>';
    document.getElementById('reference').textContent = data.sha256;
  }} else {{ out.className = 'erreur'; out.textContent = 'Refusé : ' + data.erreur; }}
}});
</script>"""


async def upload_form(request: Request) -> Response:
    from cdppe.services.uploads import mib_text

    return page("Déposer un scan signé", UPLOAD_FORM.format(limit=mib_text(get_settings().upload_max_bytes)))


async def receive_upload(request: Request) -> Response:
    """The body is the PDF itself (``PUT``, as the page's script or ``curl -T`` sends it)."""
    from cdppe.services.uploads import UploadRefusedError, ingest_stream, mib_text

    limit = get_settings().upload_max_bytes
    refusal = f"{UPLOAD_FIELD} : fichier trop volumineux (plus de {mib_text(limit)})"
    too_big = JSONResponse({"erreur": refusal}, status_code=413)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return too_big
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return too_big
            spool.write(chunk)
        spool.seek(0)
        try:
            stored = ingest_stream(spool, UPLOAD_FIELD)  # type: ignore[arg-type]
        except UploadRefusedError as exc:
            return JSONResponse({"erreur": str(exc)}, status_code=400)
    return JSONResponse({"sha256": stored.sha256, "taille": stored.size}, status_code=201)


async def calendar_feed(request: Request) -> Response:
    """A Département's or a coordinator's deadlines for calendar applications (the token is the
    credential)."""
    from cdppe.core.dates import utcnow
    from cdppe.services.reminders.calendars import render_feed
    from cdppe.store.db import session_scope

    with session_scope() as session:
        ics = render_feed(session, request.path_params["token"], get_settings(), utcnow())
    if ics is None:
        return page("Calendrier introuvable", "<p>Ce lien d'abonnement n'existe pas.</p>", 404)
    return Response(ics, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


CHOICE_FORM = """<p>Relances envoyées à <strong>{email}</strong> : {current}.</p>
<form method="post"><fieldset><legend>Que souhaitez-vous recevoir ?</legend>
{options}</fieldset>
<p><label for="until">Jusqu'au (facultatif, AAAA-MM-JJ) :</label>
<input type="date" id="until" name="until" value="{until}"></p>
<p><button type="submit">Enregistrer</button></p></form>
<p>Les échéances dépassées restent signalées à la coordination du contrat, quel que soit ce choix.</p>"""


def _choice_page(email: str, mode: str, until: str, note: str = "", status: int = 200) -> HTMLResponse:
    from models.enums import ContactMode

    options = "".join(
        f'<p><label><input type="radio" name="mode" value="{m.value}"{" checked" if m.value == mode else ""}>'
        f' {escape(m.label[0].upper() + m.label[1:])}</label></p>' for m in ContactMode)
    from datetime import date

    from cdppe.core.dates import format_date_fr

    last_day = f" jusqu'au {format_date_fr(date.fromisoformat(until))}" if until else ""
    current = escape(ContactMode(mode).label + last_day)
    body = note + CHOICE_FORM.format(email=escape(email), current=current, options=options,
                                     until=escape(until))
    return page("Vos relances CDPPE", body, status)


def _read_choice(fields: dict[str, list[str]]) -> tuple[str, str]:
    """(mode, until) from the page's form, or the one-click POST of RFC 8058 (which suspends)."""
    if fields.get("List-Unsubscribe") == ["One-Click"]:
        return "suspendu", ""
    return (fields.get("mode") or [""])[0], (fields.get("until") or [""])[0].strip()


async def reminder_choice(request: Request) -> Response:
    """The pause page a message links to: show the person's choice, or record a new one."""
    from urllib.parse import parse_qs

    from cdppe.core.dates import today_paris
    from cdppe.services.reminders.preferences import (
        ChoiceRefusedError,
        parse_mode,
        parse_until,
        set_choice,
    )
    from cdppe.store.db import session_scope
    from cdppe.store.notifications import preference_by_token

    posted = (parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
              if request.method == "POST" else None)
    with session_scope() as session:
        pref = preference_by_token(session, token=request.path_params["token"])
        if pref is None:
            return page("Lien inconnu", "<p>Ce lien de gestion des relances n'existe pas.</p>", 404)
        note = ""
        if posted is not None:
            raw_mode, raw_until = _read_choice(posted)
            try:
                set_choice(session, pref, parse_mode(raw_mode), until=parse_until(raw_until),
                           today=today_paris(), by=f"{pref.email} (lien du courriel)")
            except ChoiceRefusedError as exc:
                refusal = f'<p class="erreur">Refusé, rien n\'a été enregistré : {escape(str(exc))}</p>'
                session.rollback()
                return _choice_page(pref.email, pref.mode.value, "", refusal, 400)
            note = '<p role="status"><strong>Choix enregistré.</strong></p>'
        return _choice_page(pref.email, pref.mode.value, pref.until.isoformat() if pref.until else "", note)


PUBLIC_PREFIXES = ("/calendrier/", "/relances/")  # their unguessable token is the credential


def build_app() -> Starlette:
    expected = auth_string()

    async def require_credential(request: Request,
                                 call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not request.url.path.startswith(PUBLIC_PREFIXES) and not authorised(request, expected):
            return Response("Identifiant requis.", status_code=401,
                            headers={"WWW-Authenticate": 'Basic realm="CDPPE", charset="UTF-8"'})
        return await call_next(request)

    return Starlette(routes=[
        Route("/", index),
        Route("/documents/{doc_id:int}/{name}", document),
        Route("/televersement", upload_form, methods=["GET"]),
        Route("/televersement", receive_upload, methods=["PUT", "POST"]),
        Route("/calendrier/{token}.ics", calendar_feed),
        Route("/relances/{token}", reminder_choice, methods=["GET", "POST"]),
    ], middleware=[Middleware(BaseHTTPMiddleware, dispatch=require_credential)])


def serve(host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(build_app(), host=host, port=port, log_level="warning")
