"""The local Prefect server's process (``cdppe up``): Prefect's own ``prefect server start``, its
SQLite transactions begun IMMEDIATE (``cdppe.ops.prefect_private.sqlite_transactions_begin_immediate``).

Run as ``python -m cdppe.ops.prefect_server_process server start --host … --port …``: the
arguments are Prefect's command line, unchanged.
"""

from __future__ import annotations

import runpy
import sys

from cdppe.ops.prefect_private import sqlite_transactions_begin_immediate


def main(argv: list[str]) -> None:
    sqlite_transactions_begin_immediate()
    sys.argv = ["prefect", *argv]
    runpy.run_module("prefect", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
