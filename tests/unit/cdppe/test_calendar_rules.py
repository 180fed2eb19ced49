from datetime import date

import pytest

from cdppe.core.dates import format_date_fr
from cdppe.domain.calendar_rules import (
    at_least_before,
    at_the_latest,
    convocation_deadline,
    credits_usable_until,
    is_working_day,
    report_due_date,
)


def test_report_due_one_year_after_last_signature() -> None:
    # Saône-et-Loire 2023: signed 21 November 2023, report due 21 November 2024.
    assert report_due_date(date(2023, 11, 21)) == date(2024, 11, 21)


def test_report_due_after_29_february_keeps_the_earlier_day() -> None:
    assert report_due_date(date(2024, 2, 29)) == date(2025, 2, 28)


def test_credits_usable_until_end_of_next_year() -> None:
    assert credits_usable_until(2024) == date(2025, 12, 31)


@pytest.mark.parametrize("legal,effective", [
    (date(2024, 12, 25), date(2024, 12, 26)),  # Noël (Wednesday)
    (date(2025, 5, 1), date(2025, 5, 2)),  # Fête du Travail (Thursday)
    (date(2025, 4, 21), date(2025, 4, 22)),  # Lundi de Pâques
    (date(2024, 11, 9), date(2024, 11, 12)),  # Saturday, Sunday, then 11 novembre
    (date(2025, 7, 14), date(2025, 7, 15)),  # Fête nationale (Monday)
    (date(2024, 11, 21), date(2024, 11, 21)),  # a Thursday: unchanged
])
def test_deadline_on_holiday_moves_to_next_working_day(legal: date, effective: date) -> None:
    shifted = at_the_latest(legal)
    assert shifted.effective == effective
    assert shifted.shifted is (legal != effective)
    if shifted.shifted:
        assert shifted.reason and "jour ouvré suivant" in shifted.reason


def test_alsace_moselle_has_26_december() -> None:
    assert is_working_day(date(2025, 12, 26))  # Friday, working day in Saône-et-Loire
    assert not is_working_day(date(2025, 12, 26), "67")
    assert at_the_latest(date(2025, 12, 26), "57").effective == date(2025, 12, 29)


def test_convocation_at_least_12_days_before_moves_earlier() -> None:
    # Session of 22 November 2024: 10 November is a Sunday, so Friday 8 November
    # (the real convocation date of deliberation n° 205).
    shifted = convocation_deadline(date(2024, 11, 22))
    assert shifted.legal == date(2024, 11, 10)
    assert shifted.effective == date(2024, 11, 8)
    assert at_least_before(date(2025, 5, 13), 12).effective == date(2025, 4, 30)  # 1 May


def test_french_dates() -> None:
    assert format_date_fr(date(2024, 11, 22)) == "22 novembre 2024"
    assert format_date_fr(date(2025, 1, 1)) == "1er janvier 2025"
