"""Read a contract file: YAML (numbers kept exact) → ``ContractFile`` → rules."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cdppe.rules import RuleViolationError, Violation, check_contract
from models.contract_file import ContractFile


class _ExactLoader(yaml.SafeLoader):
    """YAML floats become ``Decimal`` from their text, so ``62334.10`` stays exact."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    assert isinstance(node, yaml.ScalarNode)
    return Decimal(str(loader.construct_scalar(node)).replace("_", ""))


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def _loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(racine)"


def parse_contract(data: Any, source: str = "fichier") -> ContractFile:
    """Validate raw data; raise ``RuleViolationError`` with one line per problem."""
    if not isinstance(data, dict):
        raise RuleViolationError([Violation(source, "le fichier doit contenir un objet YAML")])
    try:
        cf = ContractFile.model_validate(data)
    except ValidationError as exc:
        violations = []
        for err in exc.errors(include_url=False):
            actual = err.get("input")
            shown = None if isinstance(actual, dict | list) else repr(actual)
            violations.append(Violation(_loc(tuple(err["loc"])), err["msg"], None, shown))
        raise RuleViolationError(violations) from exc
    violations = check_contract(cf)
    if violations:
        raise RuleViolationError(violations)
    return cf


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleViolationError([Violation(str(path), f"lecture impossible : {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise RuleViolationError([Violation(str(path), "le fichier n'est pas en UTF-8")]) from exc
    try:
        return yaml.load(text, Loader=_ExactLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleViolationError([Violation(where, f"YAML invalide : {problem}")]) from exc


def read_contract_file(path: Path) -> ContractFile:
    return parse_contract(load_yaml(path), str(path))


def contract_fingerprint(cf: ContractFile) -> str:
    """sha256 of the normalised content: same data, same fingerprint, whatever the layout."""
    canonical = json.dumps(cf.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
