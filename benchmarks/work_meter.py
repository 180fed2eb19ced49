"""The simulated year's own work, timed where it is done: documents rendered and written, e-mails
rendered and sent. Issue 18 item 4 compares the plain loop with the sum of that work.

Installed in the benchmark's child process only: each function is wrapped where its caller
looks it up, and the seconds spent inside are added to its category.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections import defaultdict
from typing import Any

CATEGORIES = ("documents", "courriels rendus", "courriels envoyés")


def _targets() -> list[tuple[Any, str, str]]:
    import aiosmtplib

    from cdppe.present.documents import generate
    from cdppe.services.reminders import digest, sender

    return [
        (generate, "render_document", "documents"),  # HTML from the templates
        (generate, "convert_pages", "documents"),  # DOCX (and PDF) from that HTML
        (generate, "store_document", "documents"),  # the file written, its row added
        (digest, "render_digest", "courriels rendus"),
        (sender, "message_for", "courriels envoyés"),  # the MIME message composed
        (aiosmtplib.SMTP, "sendmail", "courriels envoyés"),  # SMTP to the sink, its answer awaited
    ]


class WorkMeter:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def install(self) -> WorkMeter:
        for owner, name, category in _targets():
            setattr(owner, name, self._wrap(getattr(owner, name), category))
        return self

    def _wrap(self, func: Any, category: str) -> Any:
        seconds = self.seconds
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return await func(*args, **kwargs)
                finally:
                    seconds[category] += time.perf_counter() - start
            return timed_async

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                seconds[category] += time.perf_counter() - start
        return timed

    def as_dict(self) -> dict[str, float]:
        return {category: round(self.seconds[category], 3) for category in CATEGORIES}
