"""The UI form of an answer: the same fields, shaped for Prefect's form renderer, in French.

Prefect's UI shows an enum as its raw values (``prefet``) and an optional field as a
``str | None`` type switch; and ``RunInput.with_initial_data`` drops a field's title when it
gives it a default (``Session Date (Optional)``). The form model therefore has:

- enums as a choice of French labels (``Le Préfet``), mapped back to the enum;
- optional texts and dates as a plain text field whose empty value means "none";
- every field's title and description kept, whatever default it is given.

``cdppe record`` and the tests fill the answer model; the UI fills the form model; both end
in the same :class:`Answer` through :func:`answer_from_form`.
"""

from __future__ import annotations

import copy
import types
from datetime import date
from enum import Enum
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, create_model
from pydantic.fields import FieldInfo

from models.answers import Answer

OPTIONAL_DATE_HINT = " (AAAA-MM-JJ, facultatif)"


def enum_label(member: Enum) -> str:
    label = str(getattr(member, "label", member.value))
    return label[:1].upper() + label[1:]


def _optional_inner(annotation: Any) -> Any | None:
    """``X`` for ``X | None``, else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(get_args(annotation)) == 2:
            return args[0]
    return None


def _form_field(annotation: Any, info: FieldInfo) -> tuple[Any, FieldInfo]:
    info = copy.copy(info)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        labels = tuple(enum_label(m) for m in annotation)
        if not info.is_required() and isinstance(info.default, Enum):
            info.default = enum_label(info.default)
        info.description = None  # the choices say it all, in French
        return Literal[labels], info
    inner = _optional_inner(annotation)
    if inner is not None:
        info.default = ""
        info.metadata = []  # patterns of the value do not apply to "empty"
        if inner is date:
            info.title = f"{info.title}{OPTIONAL_DATE_HINT}"
        return str, info
    return annotation, info


@cache
def form_model(answer_type: type[Answer]) -> type[BaseModel]:
    """The form shown in the UI for ``answer_type`` (same field names)."""
    fields: dict[str, Any] = {name: _form_field(f.annotation, f)
                              for name, f in answer_type.model_fields.items()}
    model: type[BaseModel] = create_model(f"{answer_type.__name__}Form",
                                          __config__=ConfigDict(extra="ignore"), **fields)
    return model


def answer_from_form(answer_type: type[Answer], data: dict[str, Any]) -> Answer:
    """Labels back to enum values, empty optional fields back to None; then the answer's own checks."""
    values = dict(data)
    for name, f in answer_type.model_fields.items():
        if name not in values:
            continue
        annotation = f.annotation
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            by_label = {enum_label(m): m.value for m in annotation}
            values[name] = by_label.get(values[name], values[name])
        elif _optional_inner(annotation) is not None and values[name] in ("", None):
            values[name] = None
    return answer_type.model_validate(values)


def form_values(answer_type: type[Answer], data: dict[str, Any]) -> dict[str, Any]:
    """What to pre-fill the form with, from answer-shaped values (defaults, a refused answer)."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        f = answer_type.model_fields.get(name)
        if f is None:
            continue
        if isinstance(value, Enum):
            out[name] = enum_label(value)
        elif isinstance(f.annotation, type) and issubclass(f.annotation, Enum):
            out[name] = next((enum_label(m) for m in f.annotation if m.value == value), value)
        elif _optional_inner(f.annotation) is not None:
            out[name] = "" if value is None else str(value)
        else:
            out[name] = value
    return out


def with_initial_data(model: type[BaseModel], **defaults: Any) -> type[BaseModel]:
    """Like ``RunInput.with_initial_data`` but keeping each field's title and description."""
    fields: dict[str, Any] = {}
    for name, value in defaults.items():
        original = model.model_fields.get(name)
        if original is None:
            continue
        info = copy.copy(original)
        info.default = value
        info.default_factory = None
        fields[name] = (original.annotation, info)
    derived: type[BaseModel] = create_model(model.__name__, __base__=model, **fields)
    return derived
