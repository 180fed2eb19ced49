"""Reaching the Prefect API from a command: said in French when it cannot be reached.

Prefect, when no API is configured, starts a throwaway server of its own (about a minute,
a database under ``~/.prefect``); a command of ours never wants that: ``cdppe`` sets
``PREFECT_SERVER_ALLOW_EPHEMERAL_MODE=false`` and checks the API before doing anything.
"""

from __future__ import annotations

import os

import httpx


class PrefectUnavailableError(Exception):
    """The Prefect API is not configured or does not answer (message in French)."""


def configured_api_url() -> str | None:
    return os.environ.get("PREFECT_API_URL") or None


def require_prefect_api(timeout: float = 5.0) -> str:
    """The API URL, after one ``/health`` request that answered; else a French error."""
    api_url = configured_api_url()
    if api_url is None:
        raise PrefectUnavailableError(
            "aucun serveur Prefect connu : lancez la pile avec `make up` (elle écrit son adresse dans "
            "le dossier de données) ou définissez PREFECT_API_URL.")
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout)
    except httpx.HTTPError as exc:
        raise PrefectUnavailableError(
            f"le serveur Prefect ne répond pas à {api_url} ({type(exc).__name__}) : la pile `make up` "
            "est-elle lancée ?") from exc
    if response.status_code != 200:
        raise PrefectUnavailableError(
            f"le serveur Prefect à {api_url} répond {response.status_code} à /health.")
    return api_url
