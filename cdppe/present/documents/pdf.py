"""PDF through LibreOffice (``soffice --headless``) when it is installed.

Starting LibreOffice costs about a second (more on a loaded machine); converting one of our
documents once it runs costs about 0.1 s. Hence three ways to the same PDF:

- ``docx_to_pdf(docx)``: one document; outside ``pdf_converter()`` it starts LibreOffice for
  that document alone (the cold conversion every PDF used to pay);
- ``docx_to_pdf_many(docs, names)``: a batch (a step's documents), one LibreOffice start for
  all of it (``soffice --convert-to pdf a.docx b.docx …``);
- ``with pdf_converter():``: one LibreOffice kept running for every conversion inside the
  block (a whole exercice, several steps), driven through its UNO bridge by the Python that
  has ``uno`` (Debian's ``python3-uno``; see ``uno_convert.py``). Without it the block changes
  nothing and each batch starts its own LibreOffice.

Every way loads the DOCX with LibreOffice's Word 2007 filter and exports it with
``writer_pdf_Export``: the same PDF. Each LibreOffice has a private profile in a temporary
directory, runs in its own session and is stopped (and reaped) before the call returns;
every failure is a ``DocumentError`` in French naming the document.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from cdppe.domain.document_errors import DocumentError, PdfUnavailableError

PDF_TIMEOUT_SECONDS = 180  # one document (and LibreOffice's start)
STOP_TIMEOUT_SECONDS = 15
DOCX_FILTER = "MS Word 2007 XML"
UNO_HELPER = Path(__file__).with_name("uno_convert.py")
MISSING_MESSAGE = (
    "le format PDF nécessite LibreOffice (commande « soffice » ou « libreoffice »), "
    "qui n'est pas installé sur cette machine : installez LibreOffice, ou demandez "
    "les formats html et docx (le DOCX s'ouvre dans Word et LibreOffice et s'exporte en PDF)."
)


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_pdf() -> str:
    path = soffice_path()
    if path is None:
        raise PdfUnavailableError(MISSING_MESSAGE)
    return path


def docx_to_pdf(docx: bytes, name: str = "document") -> bytes:
    """One document's PDF (through the warm LibreOffice inside ``pdf_converter()``)."""
    return docx_to_pdf_many([docx], [name])[0]


def docx_to_pdf_many(docs: Sequence[bytes], names: Sequence[str] | None = None) -> list[bytes]:
    """One PDF per DOCX, in order; ``names`` (what people call each document) go in the errors.

    Raises ``PdfUnavailableError`` without LibreOffice, ``DocumentError`` if any document
    cannot be converted: then no PDF of the batch is returned.
    """
    soffice = require_pdf()
    labels = list(names) if names is not None else [f"document n° {i + 1}" for i in range(len(docs))]
    if len(labels) != len(docs):
        raise ValueError("one name per document")
    for docx, label in zip(docs, labels, strict=True):
        check_docx(docx, label)
    if not docs:
        return []
    warm = _ACTIVE.get()
    if warm is not None and warm.usable(soffice):
        return warm.convert(docs, labels)
    return convert_batch(soffice, docs, labels)


def check_docx(docx: bytes, label: str) -> None:
    """A DOCX is a zip with ``word/document.xml``: anything else is refused before LibreOffice."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            valid = "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        valid = False
    if not valid:
        raise DocumentError(f"« {label} » n'est pas un fichier DOCX valide : "
                            "son PDF ne peut pas être produit")


@contextlib.contextmanager
def pdf_converter(eager: bool = False) -> Iterator[None]:
    """Keep one LibreOffice running for every PDF converted inside the block (this context).

    It starts at the first conversion (``eager``: at once, in the background, so that its
    start overlaps the rendering that comes before the first PDF) and stops when the block
    ends; nested blocks share it.
    """
    if _ACTIVE.get() is not None:
        yield
        return
    warm = WarmConverter()
    token = _ACTIVE.set(warm)
    try:
        soffice = soffice_path()
        if eager and soffice is not None and warm.usable(soffice):
            warm.start()
        yield
    finally:
        _ACTIVE.reset(token)
        warm.close()


# --- one LibreOffice start for a batch -----------------------------------------------------


def convert_batch(soffice: str, docs: Sequence[bytes], labels: Sequence[str]) -> list[bytes]:
    """``soffice --convert-to pdf`` on every document at once, in a private directory."""
    with tempfile.TemporaryDirectory(prefix="cdppe-pdf-") as tmp:
        folder = Path(tmp)
        sources = [folder / f"document-{i:03d}.docx" for i in range(len(docs))]
        for source, docx in zip(sources, docs, strict=True):
            source.write_bytes(docx)
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                   f"--infilter={DOCX_FILTER}", "--convert-to", "pdf", "--outdir", str(folder),
                   *map(str, sources)]
        timeout = PDF_TIMEOUT_SECONDS * len(docs)
        office = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = office.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise DocumentError(f"LibreOffice n'a pas produit le PDF de {quoted(labels)} "
                                f"en {timeout} s") from exc
        finally:
            stop_group(office)
        detail = "\n".join(line for line in err.decode("utf-8", "replace").splitlines()
                           if "javaldx" not in line).strip()[-300:]
        return [read_pdf(source.with_suffix(".pdf"), label, detail)
                for source, label in zip(sources, labels, strict=True)]


def read_pdf(path: Path, label: str, detail: str) -> bytes:
    data = path.read_bytes() if path.exists() else b""
    if not data.startswith(b"%PDF"):
        if "could not be loaded" in detail:
            detail = "LibreOffice n'a pas pu ouvrir ce DOCX (filtre Word 2007)"
        reason = f" : {detail}" if detail else ""
        raise DocumentError(f"LibreOffice n'a pas pu produire le PDF de « {label} »{reason}")
    return data


def quoted(labels: Sequence[str]) -> str:
    return ", ".join(f"« {label} »" for label in labels)


def stop_group(office: subprocess.Popen[bytes]) -> None:
    """Stop a LibreOffice started in its own session, and reap it: no process left behind.

    ``soffice`` is ``oosplash``, the parent of ``soffice.bin``: the child is killed first
    so that its parent reaps it, then whatever of the session remains.
    """
    children = [pid for pid in session_members(office.pid) if pid != office.pid]
    if children and office.poll() is None:
        kill(children)
        with contextlib.suppress(subprocess.TimeoutExpired):
            office.wait(5)
    kill(session_members(office.pid))
    office.wait()


def kill(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def session_members(sid: int) -> list[int]:
    """The live processes of a session (Linux ``/proc``; none found elsewhere)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and fields[3] == str(sid) and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


# --- one LibreOffice kept warm ---------------------------------------------------------------


@functools.cache
def uno_python(soffice: str) -> str | None:
    """The Python that can import LibreOffice's ``uno``: its own, else Debian's python3-uno."""
    own = Path(os.path.realpath(soffice)).parent / "python"
    for candidate in (str(own), "/usr/bin/python3"):
        if not os.access(candidate, os.X_OK):
            continue
        try:
            subprocess.run([candidate, "-I", "-c", "import uno"], check=True, capture_output=True,
                           timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        return candidate
    return None


class WarmConverter:
    """One LibreOffice listening on a private pipe, and ``uno_convert.py`` driving it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._office: subprocess.Popen[bytes] | None = None
        self._helper: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._ready = False

    def usable(self, soffice: str) -> bool:
        return uno_python(soffice) is not None

    @property
    def processes(self) -> list[int]:
        """The process ids of the LibreOffice running now (its whole session) and its helper."""
        pids = session_members(self._office.pid) if self._office is not None else []
        return pids + ([self._helper.pid] if self._helper is not None else [])

    def start(self) -> None:
        """Launch LibreOffice and its helper now, without waiting for them (once)."""
        with self._lock:
            if self._helper is None:
                self._launch()

    def convert(self, docs: Sequence[bytes], labels: Sequence[str]) -> list[bytes]:
        with self._lock:
            if self._helper is None:
                self._launch()
            if not self._ready:
                self._wait_ready()
            return [self._convert_one(docx, label) for docx, label in zip(docs, labels, strict=True)]

    def _launch(self) -> None:
        soffice = require_pdf()
        python = uno_python(soffice)
        assert python is not None
        folder = self._folder = Path(tempfile.mkdtemp(prefix="cdppe-pdf-warm-"))
        pipe = f"cdppe-pdf-{os.getpid()}-{secrets.token_hex(6)}"
        try:
            with (folder / "soffice.log").open("wb") as log:
                self._office = subprocess.Popen(
                    [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                     "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
                     f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
            with (folder / "helper.log").open("wb") as log:
                self._helper = subprocess.Popen(
                    [python, "-I", str(UNO_HELPER), pipe, str(PDF_TIMEOUT_SECONDS)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        except OSError as exc:
            self.close()
            raise DocumentError(f"LibreOffice n'a pas pu être lancé ({soffice}) : {exc}") from exc

    def _wait_ready(self) -> None:
        """Until the helper is connected; a LibreOffice that exits meanwhile fails at once."""
        assert self._helper is not None and self._office is not None and self._folder is not None
        deadline = time.monotonic() + PDF_TIMEOUT_SECONDS
        reply: dict[str, Any] = {"timeout": True}
        while reply.get("timeout") and time.monotonic() < deadline and self._office.poll() is None:
            reply = self._reply(self._helper, 0.5)
        if reply.get("ready"):
            self._ready = True
            return
        if self._office.poll() is not None:
            log = (self._folder / "soffice.log").read_text("utf-8", "replace").strip()[-300:]
            reason = f"il s'est arrêté au démarrage (code {self._office.returncode}) {log}".strip()
        elif reply.get("timeout"):
            reason = f"pas de réponse en {PDF_TIMEOUT_SECONDS} s"
        else:
            reason = str(reply.get("error", "sans réponse"))
        self.close()
        raise DocumentError(f"LibreOffice n'a pas démarré : {reason}")

    def _convert_one(self, docx: bytes, label: str) -> bytes:
        assert self._folder is not None and self._helper is not None and self._helper.stdin is not None
        source, target = self._folder / "document.docx", self._folder / "document.pdf"
        source.write_bytes(docx)
        target.unlink(missing_ok=True)
        try:
            self._helper.stdin.write(json.dumps({"source": str(source), "target": str(target)})
                                     .encode() + b"\n")
            self._helper.stdin.flush()
            reply = self._reply(self._helper, PDF_TIMEOUT_SECONDS)
        except OSError:
            reply = {"error": "le convertisseur s'est arrêté"}
        if reply.get("timeout") or not (reply.get("ok") or self._alive()):
            self.close()  # a hung or dead LibreOffice: the next conversion starts another
        if reply.get("timeout"):
            raise DocumentError(f"LibreOffice n'a pas produit le PDF de « {label} » "
                                f"en {PDF_TIMEOUT_SECONDS} s")
        return read_pdf(target, label, str(reply.get("error", "")))

    def _alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self._office, self._helper))

    def _reply(self, helper: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
        """The helper's next JSON line; ``{"timeout": True}`` after ``timeout`` seconds."""
        assert helper.stdout is not None
        fd = helper.stdout.fileno()
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return {"timeout": True}
            chunk = os.read(fd, 65536)
            if not chunk:
                return {"error": "le convertisseur s'est arrêté"}
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            return {"error": line.decode("utf-8", "replace")[:300]}
        return reply if isinstance(reply, dict) else {"error": str(reply)}

    def close(self) -> None:
        """Ask LibreOffice to quit, wait for it, kill what remains; remove its directory."""
        helper, office, folder = self._helper, self._office, self._folder
        self._helper = self._office = self._folder = None
        self._ready = stopped = False
        if helper is not None:
            if office is not None and office.poll() is None:
                stopped = self._ask_to_quit(helper)
            self._buffer = b""
            with contextlib.suppress(subprocess.TimeoutExpired):
                helper.wait(STOP_TIMEOUT_SECONDS if stopped else 0)
            stop_group(helper)
            for stream in (helper.stdin, helper.stdout):
                if stream is not None:
                    stream.close()
        if office is not None:
            if stopped:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    office.wait(STOP_TIMEOUT_SECONDS)
            stop_group(office)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def _ask_to_quit(self, helper: subprocess.Popen[bytes]) -> bool:
        """The helper asks LibreOffice to quit: whether it did (``stopped``) in time."""
        with contextlib.suppress(OSError):
            assert helper.stdin is not None
            helper.stdin.write(b"\n")
            helper.stdin.close()
            for _ in range(2):  # "ready" first if it was still connecting
                reply = self._reply(helper, STOP_TIMEOUT_SECONDS)
                if not reply.get("ready"):
                    return bool(reply.get("stopped"))
        return False


_ACTIVE: ContextVar[WarmConverter | None] = ContextVar("cdppe_pdf_converter", default=None)
