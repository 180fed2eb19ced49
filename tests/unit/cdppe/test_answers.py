"""Each answer a phase can wait for has its handler, and a refused check writes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from cdppe.services.answers import HANDLERS, AnswerRefusedError, not_future
from cdppe.services.lifecycle import NEEDS
from models.answers import ANSWER_TYPES
from models.enums import AnswerKind


def test_every_answer_type_has_exactly_one_handler() -> None:
    assert set(HANDLERS) == set(ANSWER_TYPES.values())


def test_every_kind_the_cycle_waits_for_has_a_form_and_a_handler() -> None:
    assert set(AnswerKind) == set(NEEDS) == set(ANSWER_TYPES)


def test_a_date_in_the_future_is_refused_with_the_field_and_both_dates_in_french() -> None:
    with pytest.raises(AnswerRefusedError, match=r"la date de signature \(3 janvier 2025\) est dans le "
                                                 r"futur \(nous sommes le 2 janvier 2025\)"):
        not_future(date(2025, 1, 3), date(2025, 1, 2), "la date de signature")
    not_future(date(2025, 1, 2), date(2025, 1, 2), "la date de signature")  # today is not the future


def test_the_signature_form_offers_exactly_the_signature_methods() -> None:
    from typing import get_args

    from models.answers import SignatureAnswer
    from models.enums import SignatureMethod

    offered = get_args(SignatureAnswer.model_fields["method"].annotation)
    assert set(offered) == {m.value for m in SignatureMethod}
