"""Read a contract file: YAML (numbers kept exact) → ``ContractFile`` → rules."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cdppe.domain.rules import RuleViolationError, Violation, check_contract
from models.contract_file import ContractFile

MAX_FILE_BYTES = 2 * 1024 * 1024  # the largest example is about 40 KB
MAX_DEPTH = 40  # the schema nests 6 levels
MAX_NODES = 200_000  # after alias expansion: an alias bomb is refused before it is built
MAX_ALIASES = 1_000


class _ExactLoader(yaml.SafeLoader):
    """Safe YAML with limits: depth, aliases, expanded size; floats become exact ``Decimal``.

    A scalar that cannot be converted (``2024-02-30``, ``.inf``, ``190:20:30.15``, an
    integer of thousands of digits) stays the text it is, so the model refuses it with
    its field instead of the parser failing with a traceback.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def _refuse(self, problem: str) -> yaml.composer.ComposerError:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        return yaml.composer.ComposerError(None, None, problem, mark)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise self._refuse(f"plus de {MAX_ALIASES} alias")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise self._refuse(f"imbrication de plus de {MAX_DEPTH} niveaux")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Nodes of the document once every alias is expanded (shared nodes counted each time)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    sizes[id(node)] = total = min(total, MAX_NODES + 1)
    return total


def _lenient(kind: str) -> Any:
    base = yaml.SafeLoader.yaml_constructors[f"tag:yaml.org,2002:{kind}"]

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        try:
            return base(loader, node)
        except (ValueError, TypeError, OverflowError, ArithmeticError):
            return loader.construct_scalar(node)  # type: ignore[arg-type]
    return construct


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | str:
    assert isinstance(node, yaml.ScalarNode)
    text = str(loader.construct_scalar(node))
    try:
        value = Decimal(text.replace("_", ""))
    except (ArithmeticError, ValueError):
        return text  # .inf, .nan, 190:20:30.15: refused by the field that gets it
    return value if value.is_finite() else text


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_ExactLoader.add_constructor("tag:yaml.org,2002:int", _lenient("int"))
_ExactLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient("timestamp"))


def parse_yaml(text: str) -> Any:
    """Parse one YAML document within the limits; ``yaml.YAMLError`` when refused."""
    loader = _ExactLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise yaml.composer.ComposerError(None, None, f"document trop grand une fois les alias "
                                              f"développés (plus de {MAX_NODES} éléments)", node.start_mark)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(racine)"


# Characters no document (XML: DOCX, HTML) can hold: C0 controls but tab and line breaks,
# DEL, lone surrogates, U+FFFE and U+FFFF.
FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

FRENCH_ERRORS = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_too_long": "texte trop long (au plus {max_length} caractères)",
    "string_too_short": "texte vide",
    "string_type": "texte attendu",
    "string_pattern_mismatch": "une seule ligne attendue",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "greater_than_equal": "doit valoir au moins {ge}",
    "less_than_equal": "doit valoir au plus {le}",
    "date_from_datetime_parsing": "date invalide ou impossible (AAAA-MM-JJ)",
    "date_parsing": "date invalide ou impossible (AAAA-MM-JJ)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "decimal_parsing": "nombre attendu",
    "decimal_type": "nombre attendu",
    "bool_parsing": "oui/non attendu (true ou false)",
    "bool_type": "oui/non attendu (true ou false)",
    "list_type": "liste attendue",
    "dict_type": "objet attendu",
    "model_type": "objet attendu",
    "enum": "valeur inconnue (attendu : {expected})",
    "literal_error": "valeur inconnue (attendu : {expected})",
    "too_short": "au moins {min_length} élément(s)",
}


def check_text(data: Any, path: str = "") -> list[Violation]:
    """Every string of the raw file (keys too) free of characters documents cannot hold."""
    out: list[Violation] = []
    if isinstance(data, str):
        found = FORBIDDEN_CHARS.search(data)
        if found:
            out.append(Violation(path or "(racine)", f"caractère de contrôle interdit "
                                 f"(U+{ord(found.group()):04X}) à la position {found.start() + 1}"))
    elif isinstance(data, dict):
        for key, value in data.items():
            sub = f"{path}.{key}" if path else str(key)
            out += check_text(key, sub) if isinstance(key, str) else []
            out += check_text(value, sub)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += check_text(value, f"{path}[{i}]")
    return out


# What each pattern of the contract file's fields expects, in words.
PATTERN_MESSAGES = {
    r"^[^\r\n]*$": "une seule ligne attendue",
    r"^[0-9A-Za-z]+$": "lettres et chiffres sans espace attendus (ex. 012, 74718)",
    r"^[0-9]{4}-[0-9]{1,5}$": "numéro de loi attendu (ex. 2023-1322)",
}


def _french(err: Any) -> str:
    if err["type"] == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        return PATTERN_MESSAGES.get(pattern, f"format invalide (motif attendu : {pattern})")
    template = FRENCH_ERRORS.get(err["type"])
    if template is None:
        return str(err["msg"]).removeprefix("Value error, ")
    ctx = dict(err.get("ctx") or {})
    if isinstance(ctx.get("expected"), str):  # pydantic lists the choices in English: 'a', 'b' or 'c'
        ctx["expected"] = ctx["expected"].replace("' or '", "' ou '")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return str(err["msg"])


def _shown(value: Any) -> str | None:
    if isinstance(value, dict | list):
        return None
    try:
        text = repr(value)
    except ValueError:
        return "(nombre trop long)"
    return text if len(text) <= 80 else text[:77] + "..."


def parse_contract(data: Any, source: str = "fichier") -> ContractFile:
    """Validate raw data; raise ``RuleViolationError`` with one line per problem."""
    if not isinstance(data, dict):
        raise RuleViolationError([Violation(source, "le fichier doit contenir un objet YAML")])
    text_problems = check_text(data)
    if text_problems:
        raise RuleViolationError(text_problems)
    try:
        cf = ContractFile.model_validate(data)
    except ValidationError as exc:
        violations = [Violation(_loc(tuple(err["loc"])), _french(err), None, _shown(err.get("input")))
                      for err in exc.errors(include_url=False)]
        raise RuleViolationError(violations) from exc
    violations = check_contract(cf)
    if violations:
        raise RuleViolationError(violations)
    return cf


def load_yaml(path: Path) -> Any:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except OSError as exc:
        raise RuleViolationError([Violation(str(path), f"lecture impossible : {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise RuleViolationError([Violation(str(path), "le fichier n'est pas en UTF-8")]) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise RuleViolationError([Violation(str(path), f"fichier trop volumineux (plus de "
                                            f"{MAX_FILE_BYTES // (1024 * 1024)} Mio)")])
    try:
        return parse_yaml(text)
    except RecursionError as exc:
        raise RuleViolationError([Violation(str(path), "YAML invalide : imbrication trop profonde")]) from exc
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
