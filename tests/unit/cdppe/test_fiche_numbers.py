import pytest

from cdppe.domain.fiche_numbers import (
    FicheMap,
    FicheNumberError,
    fiche_key,
    natural_sorted,
    parse_fiche_number,
)


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


@pytest.mark.parametrize("writing", ["13a", "13 a", "13 A", " 13  A ", "13A"])
def test_loose_writings_of_one_fiche_share_one_key(writing: str) -> None:
    assert fiche_key(writing) == fiche_key("13 a")


@pytest.mark.parametrize("other", ["13", "13 b", "13-1", "31 a", "13 et 14"])
def test_different_fiches_keep_different_keys(other: str) -> None:
    assert fiche_key(other) != fiche_key("13 a")


def test_fiche_map_finds_a_fiche_however_its_number_is_written() -> None:
    fiches = FicheMap([("13 a", "fiche 13 a"), ("2", "fiche 2")])
    assert fiches["13A"] == "fiche 13 a" and fiches.get("13a") == "fiche 13 a"
    assert "13 A" in fiches and "13 b" not in fiches and 13 not in fiches
    assert fiches.pop("13a") == "fiche 13 a" and "13 a" not in fiches
    fiches["6 ET 7"] = "fiche 6 et 7"
    assert fiches["6 et 7"] == "fiche 6 et 7" and len(fiches) == 2


def test_the_et_of_a_pair_is_not_a_letter_suffix() -> None:
    assert parse_fiche_number("6 et 7").parts == ((6, 0, ""), (7, 0, ""))
    assert parse_fiche_number("6 ET 7").parts == ((6, 0, ""), (7, 0, ""))
    assert parse_fiche_number("13 b et 14").parts == ((13, 0, "b"), (14, 0, ""))
