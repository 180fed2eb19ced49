"""Serve every deployment from one process (no work pool): the one-machine setup."""

from __future__ import annotations

import os

from prefect import serve

from deployments.definitions import build_deployments


def main() -> None:
    limit = int(os.environ.get("CDPPE_SERVE_LIMIT", "8"))
    serve(*build_deployments(), limit=limit, pause_on_shutdown=False, print_starting_message=False)


if __name__ == "__main__":
    main()
