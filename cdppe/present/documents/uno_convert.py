"""LibreOffice's UNO bridge as a line protocol, for ``pdf.py``'s warm converter.

Run by the Python that has LibreOffice's ``uno`` module (Debian's ``/usr/bin/python3`` with
``python3-uno``), never imported by the project (whose virtualenv cannot import ``uno``)::

    python3 -I uno_convert.py PIPE_NAME CONNECT_TIMEOUT_SECONDS

It connects to the LibreOffice listening on ``--accept=pipe,name=PIPE_NAME;urp;…``, then
answers one JSON line on stdout per JSON line read on stdin:

- on start: ``{"ready": true}`` once connected, or ``{"error": "..."}`` and exit 1;
- ``{"source": "/x.docx", "target": "/x.pdf"}``: the DOCX loaded with the Word 2007 filter
  (as ``soffice --infilter="MS Word 2007 XML" --convert-to pdf`` does) and exported with
  ``writer_pdf_Export``: ``{"ok": true}`` or ``{"error": "..."}``;
- an empty line or end of input: LibreOffice is asked to quit, ``{"stopped": true}``, exit 0.

Standard library and ``uno`` only: this file runs outside the project's environment.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import Any

DOCX_FILTER = "MS Word 2007 XML"
PDF_FILTER = "writer_pdf_Export"


def answer(**reply: object) -> None:
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()


def describe(exc: BaseException) -> str:
    message = str(getattr(exc, "Message", "") or exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def connect(uno: Any, pipe: str, timeout: float) -> Any:
    """The running LibreOffice's desktop, retried until it listens (it takes about a second)."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def prop(uno: Any, name: str, value: object) -> Any:
    item = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    item.Name, item.Value = name, value
    return item


def convert(uno: Any, desktop: Any, source: str, target: str) -> None:
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(source), "_blank", 0,
        (prop(uno, "Hidden", True), prop(uno, "FilterName", DOCX_FILTER)))
    if doc is None:
        raise RuntimeError("source file could not be loaded")
    try:
        doc.storeToURL(uno.systemPathToFileUrl(target), (prop(uno, "FilterName", PDF_FILTER),))
    finally:
        doc.close(True)


def serve(uno: Any, desktop: Any) -> None:
    for line in sys.stdin:
        if not line.strip():
            break
        try:
            request = json.loads(line)
            convert(uno, desktop, request["source"], request["target"])
        except Exception as exc:
            answer(error=describe(exc))
        else:
            answer(ok=True)
    try:
        desktop.terminate()
    except Exception:
        pass  # the connection drops as LibreOffice quits
    answer(stopped=True)


def main() -> int:
    pipe, timeout = sys.argv[1], float(sys.argv[2])
    try:
        uno = importlib.import_module("uno")
        desktop = connect(uno, pipe, timeout)
    except Exception as exc:
        answer(error=describe(exc))
        return 1
    answer(ready=True)
    serve(uno, desktop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
