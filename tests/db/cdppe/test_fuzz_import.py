"""Issue 17: a fuzz test of ``cdppe contract import`` on mutations of both example contracts.

Every case must exit 0 (accepted) or 2 (refused with its reasons), never with a traceback
or the last-resort handler, and a refused case must leave the database as it was. The
counts (cases, refused, accepted, tracebacks) are printed and kept as test properties;
the run is bounded by ``FUZZ_SECONDS`` per database.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.services.contract_io import load_yaml
from tests.conftest import EXAMPLES

FUZZ_SECONDS = float(os.environ.get("CDPPE_FUZZ_SECONDS", "20"))
MAX_EXAMPLES = int(os.environ.get("CDPPE_FUZZ_EXAMPLES", "250"))


def _plain(value: Any) -> Any:
    """YAML-dumpable copy of a loaded contract (exact decimals as text)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


BASES = [_plain(load_yaml(EXAMPLES / name)) for name in ("saone-et-loire-2024.yaml",
                                                         "creuse-2025-2027.yaml")]

HOSTILE = st.one_of(
    st.sampled_from([
        "99999999999999999999999999999", "1e30", "-1.00", "0.001", ".inf", ".nan", "NaN",
        "190:20:30.15", "2024-02-30", "2024-13-01", "", " ", "\x00", "a\x07b", "\ufffe", "x" * 100,
        "x" * 30_000, "=?utf-8?b?QmNjOiBldmls?= Jean", "pmi.é@cd71.example.fr", "a@b", "<script>",
        "{{ 7*7 }}", "1 692 424 €", "539 323,24", "13 a", "6 et 7", "FIR", "BOP304", "ONDAM",
        "prefet", "implemented", "2024", "2031",
    ]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, 0, 1, 2019, 2024, 2025, 2101]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


OPS = ["replace", "replace", "replace", "delete", "duplicate", "add_key"]
MUTATION = st.tuples(st.integers(0, 10**6), st.sampled_from(OPS), HOSTILE,
                     st.sampled_from(["extra", "year", "amount", "code"]))
BASE_PATHS = [[p for p in _paths(base) if p] for base in BASES]


def _mutate(data: dict[str, Any], path: tuple[Any, ...], op: str, value: Any, key: str) -> None:
    """Apply one mutation at ``path`` (a path of the unmutated example: skipped if gone)."""
    parent: Any = data
    try:
        for part in path[:-1]:
            parent = parent[part]
        current = parent[path[-1]]
    except (KeyError, IndexError, TypeError):
        return
    last = path[-1]
    if op == "replace":
        parent[last] = value
    elif op == "delete":
        del parent[last]
    elif op == "duplicate":
        if isinstance(parent, list):
            parent.insert(last, json.loads(json.dumps(current, default=str)))
        elif isinstance(current, list) and current:
            current.append(json.loads(json.dumps(current[0], default=str)))
    elif isinstance(current, dict):
        current[key] = value


TEXT_SNIPPETS = ["", "&a", "*a", "!!python/object:os.system", "[[[[", "? ", "\t", "---\n", "%YAML 9.9\n",
                 "\x00", "\ufeff", "key: value\n", ": :", "'unterminated", "{a: 1, a: 2}"]


def _snapshot(engine: Engine) -> dict[str, Any]:
    """Rows of every table (counts) and the imported contracts' fingerprints."""
    with engine.connect() as conn:
        counts = {t.name: conn.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar_one()
                  for t in SQLModel.metadata.sorted_tables}
        sha = sorted(conn.execute(text("SELECT key, source_sha256 FROM contract")).all())
    return {"counts": counts, "contracts": [tuple(r) for r in sha]}


@pytest.mark.slow  # a time budget of FUZZ_SECONDS per database: `make test`, not `make test-fast`
def test_fuzz_contract_import(cli_db: str, engine: Engine, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str],
                              record_property: Callable[[str, object], None]) -> None:
    runner = CliRunner()
    stats: dict[str, float] = {"cases": 0, "refused": 0, "accepted": 0, "tracebacks": 0,
                               "skipped_after_budget": 0}
    start = time.monotonic()
    path = tmp_path / "contrat.yaml"

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(st.data())
    def case(data: st.DataObject) -> None:
        # Everything is drawn first, whatever the budget, so generation never depends on time.
        base = data.draw(st.integers(0, 1))
        mutations = data.draw(st.lists(MUTATION, min_size=1, max_size=3))
        snippet = data.draw(st.one_of(st.none(), st.tuples(st.integers(0, 10**6),
                                                           st.sampled_from(TEXT_SNIPPETS))))
        if time.monotonic() - start > FUZZ_SECONDS:
            stats["skipped_after_budget"] += 1
            return
        doc = json.loads(json.dumps(BASES[base], default=str))
        paths = BASE_PATHS[base]
        for index, op, value, key in mutations:
            _mutate(doc, paths[index % len(paths)], op, value, key)
        source = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
        if snippet is not None:
            at = snippet[0] % (len(source) + 1)
            source = source[:at] + snippet[1] + source[at:]
        path.write_text(source, encoding="utf-8", errors="surrogatepass")
        before = _snapshot(engine)
        result = runner.invoke(app, ["contract", "import", str(path)])
        stats["cases"] += 1
        broken = (result.exit_code not in (0, 2) or "Traceback" in result.output
                  or "Erreur inattendue" in result.output
                  or (result.exception is not None and not isinstance(result.exception, SystemExit)))
        if broken:
            stats["tracebacks"] += 1
        assert not broken, (result.exit_code, result.output, source[:2000])
        if result.exit_code == 2:
            stats["refused"] += 1
            assert _snapshot(engine) == before, result.output
        else:
            stats["accepted"] += 1

    try:
        case()
    finally:
        stats["seconds"] = round(time.monotonic() - start, 1)
        for key, value in stats.items():
            record_property(f"fuzz_{key}", value)
        with capsys.disabled():
            print(f"\nfuzz {cli_db.split(':')[0]}: {json.dumps(stats)}")
    assert stats["cases"] >= 20 and stats["refused"] > 0 and stats["tracebacks"] == 0
