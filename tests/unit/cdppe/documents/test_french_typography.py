"""French typography of the documents: non-breaking spaces where a line must not break, the
letters of an ordinal in superscript, and nothing touched that is not French text."""

from __future__ import annotations

import pytest

from cdppe.present.documents.french import french_spaces, french_typography, typeset_html

NB, NN = "\u00a0", "\u202f"  # non-breaking space, narrow non-breaking space


@pytest.mark.parametrize(("text", "expected"), [
    # punctuation: narrow before ; ! ?, full before : and », after « and n°
    ("Il est convenu ce qui suit :", f"Il est convenu ce qui suit{NB}:"),
    ("articles L. 221-1 et suivants ;", f"articles L. 221-1 et suivants{NN};"),
    ("Vraiment ? Oui !", f"Vraiment{NN}? Oui{NN}!"),
    ("les termes « le préfet », et", f"les termes «{NB}le préfet{NB}», et"),
    ("«le préfet»", f"«{NB}le préfet{NB}»"),
    ("la délibération n° 2024-112", f"la délibération n°{NB}2024-112"),
    ("Fiche N° 3", f"Fiche N°{NB}3"),
    ("avant\n  :", f"avant{NB}:"),
    # dates: day and month, month and year stay together
    ("le 4 décembre 2024", f"le 4{NB}décembre{NB}2024"),
    ("du 1er mars 2025 au 31 décembre 2025", f"du 1er{NB}mars{NB}2025 au 31{NB}décembre{NB}2025"),
    ("en Janvier 2026", f"en Janvier{NB}2026"),
    # amounts: thousands with narrow spaces, the unit glued to the number
    ("1 761 104 €", f"1{NN}761{NN}104{NB}€"),
    ("539 323,24 €", f"539{NN}323,24{NB}€"),
    ("soit 12,5 %", f"soit 12,5{NB}%"),
    ("3 000 enfants", f"3{NN}000 enfants"),
    ("BOP 304", f"BOP{NB}304"),
    ("au titre du BOP 304.", f"au titre du BOP{NB}304."),
])
def test_french_spaces(text: str, expected: str) -> None:
    assert french_spaces(text) == expected
    assert french_spaces(expected) == expected  # idempotent


@pytest.mark.parametrize("text", [
    "à 10:30 précises",                      # a time: no space to replace, none added
    "https://example.org/a?b=1;c=2",         # an address: its ? ; : stay
    "Objectif:",                             # no space before: none added
    "n°\u00a012",                            # already right
    "en 2024 100 enfants",                   # a year then a number: not an amount
    "FR76 3000 1004 9900",                   # an IBAN keeps its groups of four
    "BIC BDFEFRPPCCT",
    "programme 304",
    "ARS 1,5",
    "; au début",                            # nothing before the sign: a line may start there
    "",
    "1 et 2",
])
def test_what_must_not_change(text: str) -> None:
    assert french_spaces(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("le 1er mars", f"le 1<sup>er</sup>{NB}mars"),
    ("la 1re fois, les 1ers, les 1res", "la 1<sup>re</sup> fois, les 1<sup>ers</sup>, les 1<sup>res</sup>"),
    ("au 2e semestre, les 21es", "au 2<sup>e</sup> semestre, les 21<sup>es</sup>"),
    ("1er", "1<sup>er</sup>"),
])
def test_ordinals_go_up(text: str, expected: str) -> None:
    assert french_typography(text) == expected
    assert french_typography(expected) == expected


@pytest.mark.parametrize("text", ["a1er", "11,1er", "3e5a", "version 1.2e", "ref1e"])
def test_not_ordinals(text: str) -> None:
    assert french_typography(text) == text


def _doc(body: str) -> str:
    return f'<!DOCTYPE html><html><head><title>Le 1er : test</title><style>a:hover {{ x: 1 }}</style>' \
           f'</head><body>{body}</body></html>'


def test_html_text_only() -> None:
    html = _doc('<p class="a :b" title="n° 3 ; 1er">Décision n° 12 du 1er mars 2025 :</p>'
                '<style>p:first-child { content: " ;" }</style><script>if (a ? b : c) {}</script>')
    out = typeset_html(html)
    assert '<p class="a :b" title="n° 3 ; 1er">' in out  # attributes untouched
    assert f"Décision n°{NB}12 du 1<sup>er</sup>{NB}mars{NB}2025{NB}:</p>" in out
    assert '<style>p:first-child { content: " ;" }</style>' in out
    assert "<script>if (a ? b : c) {}</script>" in out
    assert out.startswith(_doc("")[:60])  # the head is left as it is
    assert "<title>Le 1er : test</title>" in out
    assert typeset_html(out) == out


def test_across_inline_tags_not_across_blocks() -> None:
    out = typeset_html(_doc("<p><strong>Décide</strong> :</p><p>« <em>le préfet</em> »</p>"
                            "<td>4</td><td>décembre</td>"))
    assert f"<strong>Décide</strong>{NB}:" in out
    assert f"«{NB}<em>le préfet</em>{NB}»" in out
    assert "<td>4</td><td>décembre</td>" in out  # two cells are not a date


def test_addresses_and_mail_are_left_alone() -> None:
    body = ("<p>Voir https://www.example.fr/a?x=1 : ou écrire à jean.dupont@creuse.fr ; "
            "ou <a href=\"mailto:a@b.fr\">a@b.fr</a> !</p>")
    out = typeset_html(_doc(body))
    assert f"https://www.example.fr/a?x=1{NB}: ou écrire à jean.dupont@creuse.fr{NN}; ou " in out
    assert f'<a href="mailto:a@b.fr">a@b.fr</a>{NN}!' in out


def test_escaped_text_and_entities_survive() -> None:
    out = typeset_html(_doc("<p>l&#39;État &amp; le Département : &lt;b&gt; 1 000 €</p>"))
    assert f"<p>l&#39;État &amp; le Département{NB}: &lt;b&gt; 1{NN}000{NB}€</p>" in out


def test_a_fragment_without_body() -> None:
    assert typeset_html("<p>Total : 12 €</p>") == f"<p>Total{NB}: 12{NB}€</p>"
