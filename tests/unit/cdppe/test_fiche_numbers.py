import pytest

from cdppe.domain.fiche_numbers import FicheNumberError, natural_sorted, parse_fiche_number


def test_seed_forms_parse() -> None:
    assert parse_fiche_number("13-1").parts == ((13, 1, ""),)
    assert parse_fiche_number("13 a").parts == ((13, 0, "a"),)
    assert parse_fiche_number("6 et 7").main_numbers == [6, 7]
    assert parse_fiche_number("29-4").parts == ((29, 4, ""),)


def test_natural_sort() -> None:
    assert natural_sorted(["29-4", "13-1", "2", "6 et 7", "13", "10", "13 a", "1"]) == [
        "1", "2", "6 et 7", "10", "13", "13 a", "13-1", "29-4"]
    keys = [parse_fiche_number(n).sort_key for n in ["2", "10", "13-1", "29-4"]]
    assert keys == sorted(keys)  # the text key sorts the same way in SQL


@pytest.mark.parametrize("bad", ["", "abc", "13--1", "fiche 3", "1 et"])
def test_bad_numbers_are_refused(bad: str) -> None:
    with pytest.raises(FicheNumberError):
        parse_fiche_number(bad)
