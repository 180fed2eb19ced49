"""How long an operator waits for a `cdppe` command, beside the floor of each (issue 18, item 1).

Each command runs as the README writes it (a new process, `.venv/bin/cdppe ...`) against its
own data folder, and so does its floor: the least any program doing the same work needs here.

| command | floor |
|---|---|
| `cdppe --help` | a two-command Typer app's `--help` |
| `cdppe contract validate FILE` | Typer + the same validation code on the same file |
| `cdppe contract show 71-2024` | Typer + rich + reading the same rows (`read_contract_summary`) |

Prints min and median of ``--runs`` runs of each, side by side, and the ratio of the medians.

    .venv/bin/python benchmarks/bench_cli_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CDPPE = str(Path(sys.executable).with_name("cdppe"))
CONTRACT = str(ROOT / "examples" / "saone-et-loire-2024.yaml")
TARGETS = {"--help": 0.5, "contract validate": 0.5, "contract show": 0.6}

HELP_FLOOR = """
import typer
app = typer.Typer()
@app.command()
def first() -> None: ...
@app.command()
def second() -> None: ...
app()
"""
VALIDATE_FLOOR = """
from pathlib import Path
import typer
from cdppe.services.contract_io import read_contract_file
def main(file: Path) -> None:
    read_contract_file(file)
    print("ok")
typer.run(main)
"""
SHOW_FLOOR = """
import typer
from rich.console import Console
from rich.table import Table
from cdppe.store.contract_view import read_contract_summary
def main(ref: str) -> None:
    summary = read_contract_summary(ref)
    table = Table("Exercice")
    for ex in summary["exercices"]:
        table.add_row(str(ex["year"]))
    Console().print(table)
typer.run(main)
"""


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} a échoué ({done.returncode}) :\n{done.stderr}")
    return elapsed


def measure(runs: int, commands: dict[str, tuple[list[str], list[str]]],
            env: dict[str, str]) -> list[tuple[str, list[float], list[float]]]:
    """Runs each command and its floor alternately, so that the machine's load weighs on both."""
    rows = []
    for name, (command, floor) in commands.items():
        timed(command, env)  # warm the file cache once
        ours, floors = [], []
        for _ in range(runs):
            ours.append(timed(command, env))
            floors.append(timed(floor, env))
        rows.append((name, ours, floors))
    return rows


def run(runs: int) -> list[tuple[str, list[float], list[float]]]:
    """(command, its seconds, its floor's seconds) of each command, ``runs`` times each."""
    with tempfile.TemporaryDirectory(prefix="cdppe-bench-cli-") as data:
        env = {**os.environ, "CDPPE_DATA_DIR": data, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("CDPPE_DATABASE_URL", None)
        timed([CDPPE, "contract", "import", CONTRACT], env)
        py = sys.executable
        commands = {
            "--help": ([CDPPE, "--help"], [py, "-c", HELP_FLOOR, "--help"]),
            "contract validate": ([CDPPE, "contract", "validate", CONTRACT],
                                  [py, "-c", VALIDATE_FLOOR, CONTRACT]),
            "contract show": ([CDPPE, "contract", "show", "71-2024"], [py, "-c", SHOW_FLOOR, "71-2024"]),
        }
        return measure(runs, commands, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = run(args.runs)
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {args.runs} runs each")
    print("| command | ours min | ours median | floor min | floor median | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    for name, ours, floors in rows:
        median, floor = statistics.median(ours), statistics.median(floors)
        verdict = "met" if median <= TARGETS[name] else "not met"
        print(f"| `cdppe {name}` | {min(ours):.2f} s | {median:.2f} s | {min(floors):.2f} s | "
              f"{floor:.2f} s | {median / floor:.2f} | ≤ {TARGETS[name]} s: {verdict} |")


if __name__ == "__main__":
    main()
