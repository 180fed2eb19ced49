"""Is the stack healthy? The rules, as pure functions of what was read (no I/O here).

Read by ``cdppe doctor`` (a coordinator's question) and by the sweep watch flow that
the missed-sweep automation runs (what the Prefect UI shows as an incident).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cdppe.core.dates import format_datetime_fr
from cdppe.core.schedules import CronSpec, last_occurrence

# The sweep takes minutes; an occurrence is only "missed" once this much later.
SWEEP_GRACE = timedelta(hours=2)


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis: what was checked, whether it is fine, and why not."""

    label: str
    ok: bool
    detail: str


def sweep_check(*, now: datetime, schedules: Sequence[CronSpec], registered_at: datetime | None,
                last_completed_at: datetime | None, grace: timedelta = SWEEP_GRACE) -> Check:
    """The latest sweep the schedule called for (two hours' grace) has completed.

    On a working day this means a completed sweep less than 26 hours old; on a Monday
    morning Friday's is enough, since the schedule does not run on weekends.
    """
    label = "Relance quotidienne exécutée"
    if not schedules:
        return Check(label, False, "le déploiement des relances n'a aucune planification.")
    expected = max(last_occurrence(s, now - grace) for s in schedules)
    last = f"dernière réussie : {format_datetime_fr(last_completed_at)}" if last_completed_at \
        else "aucune relance réussie"
    if registered_at is not None and expected < registered_at:
        return Check(label, True, f"aucune relance encore due depuis la mise en service ({last}).")
    if last_completed_at is not None and last_completed_at >= expected:
        return Check(label, True, last + ".")
    return Check(label, False,
                 f"la relance prévue le {format_datetime_fr(expected)} n'a pas abouti ({last}).")


def scheduled_runs_check(name: str, next_runs: Sequence[datetime], *, now: datetime) -> Check:
    label = f"Prochaines exécutions planifiées de {name}"
    future = sorted(t for t in next_runs if t >= now - SWEEP_GRACE)
    if not future:
        return Check(label, False, "aucune exécution planifiée : le planificateur du serveur Prefect "
                                   "ne tourne pas (voir le journal du serveur).")
    return Check(label, True, f"{len(future)} planifiée(s), la prochaine le {format_datetime_fr(future[0])}.")


def deployments_check(expected: set[str], registered: set[str]) -> Check:
    missing = sorted(expected - registered)
    if missing:
        return Check("Déploiements enregistrés", False, "manquants : " + ", ".join(missing) + ".")
    return Check("Déploiements enregistrés", True, f"{len(expected)} déploiements.")


def outbox_check(stuck: Sequence[tuple[int, datetime]], *, now: datetime) -> Check:
    """``stuck``: (id, since when) of the messages whose lease or retry time passed unused."""
    label = "Courriels en attente d'envoi"
    if not stuck:
        return Check(label, True, "aucun courriel bloqué.")
    oldest = min(since for _, since in stuck)
    hours = int((now - oldest).total_seconds() // 3600)
    return Check(label, False, f"{len(stuck)} courriel(s) bloqué(s) depuis le {format_datetime_fr(oldest)} "
                               f"({hours} h) : la relance quotidienne ne les reprend pas "
                               "(voir `cdppe outbox`).")
