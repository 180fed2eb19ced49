"""Serve every deployment from one process (no work pool): the one-machine setup.

Each flow is given to the runner as a flow object (``Runner.add_flow``), not as a deployment to
load from storage: its runs then start from that object in a process forked from a server that
already imported the flows (``cdppe.ops.prefect_private.preload_flow_processes``), instead of a new
interpreter importing Prefect and the project again for every resumed step.
"""

from __future__ import annotations

import asyncio
import sys

from prefect.runner import Runner

from cdppe.core.settings import get_settings
from cdppe.ops.prefect_private import preload_flow_processes
from deployments.definitions import deployment_specs

# Imported once by the fork server every flow run starts from.
PRELOADED = ("flows.", "tasks.", "cdppe.", "models.", "deployments.")


def main() -> None:
    settings = get_settings()
    runner = Runner(limit=settings.serve_limit, query_seconds=settings.runner_poll_seconds,
                    pause_on_shutdown=False)
    for spec in deployment_specs():
        runner.add_flow(spec.flow, name=spec.name, **spec.options)
    preload_flow_processes(sorted(name for name in sys.modules if name.startswith(PRELOADED)))
    try:
        asyncio.run(runner.start())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
