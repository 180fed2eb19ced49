"""French wording helpers for the documents."""

from __future__ import annotations

import re

# The preposition and article before each Département's name ("Département de la
# Creuse", "du Nord", "de l'Ain", "des Landes", "de Saône-et-Loire").
_OF = "de l'"
_DES = "des "
_DU = "du "
_DELA = "de la "
_D = "d'"
_DE = "de "
_PREFIXES: dict[str, str] = {
    "01": _OF, "02": _OF, "03": _OF, "04": _DES, "05": _DES, "06": _DES, "07": _OF, "08": _DES,
    "09": _OF, "10": _OF, "11": _OF, "12": _OF, "13": _DES, "14": _DU, "15": _DU, "16": _DELA,
    "17": _DELA, "18": _DU, "19": _DELA, "2A": _DELA, "2B": _DELA, "21": _DELA, "22": _DES,
    "23": _DELA, "24": _DELA, "25": _DU, "26": _DELA, "27": _OF, "28": _D, "29": _DU, "30": _DU,
    "31": _DELA, "32": _DU, "33": _DELA, "34": _OF, "35": _D, "36": _OF, "37": _D, "38": _OF,
    "39": _DU, "40": _DES, "41": _DE, "42": _DELA, "43": _DELA, "44": _DELA, "45": _DU, "46": _DU,
    "47": _DE, "48": _DELA, "49": _DE, "50": _DELA, "51": _DELA, "52": _DELA, "53": _DELA,
    "54": _DE, "55": _DELA, "56": _DU, "57": _DELA, "58": _DELA, "59": _DU, "60": _OF, "61": _OF,
    "62": _DU, "63": _DU, "64": _DES, "65": _DES, "66": _DES, "67": _DU, "68": _DU, "69": _DU,
    "70": _DELA, "71": _DE, "72": _DELA, "73": _DELA, "74": _DELA, "75": _DE, "76": _DELA,
    "77": _DE, "78": _DES, "79": _DES, "80": _DELA, "81": _DU, "82": _DE, "83": _DU, "84": _DE,
    "85": _DELA, "86": _DELA, "87": _DELA, "88": _DES, "89": _OF, "90": _DU, "91": _OF,
    "92": _DES, "93": _DELA, "94": _DU, "95": _DU, "971": _DELA, "972": _DELA, "973": _DELA,
    "974": _DE, "976": _DE,
}


def departement_of(code: str, name: str) -> str:
    """``de la Creuse``, ``du Nord``, ``de l'Ain``, ``de Saône-et-Loire``."""
    if name.startswith(("La ", "Le ", "Les ", "L'")):
        return _DE + name
    prefix = _PREFIXES.get(code, _DE)
    return f"{prefix}{name}"


# -- French typography: non-breaking spaces and superscript ordinals -----------------------------
#
# The rules only ever *replace* the spaces a text already has (an ordinary space before ":" becomes
# U+00A0, never a space added before the ":" of "10:30"), except inside guillemets, which always
# take one. Each rule maps its own output to itself, so applying them twice changes nothing.

NBSP = "\u00a0"  # before ":" and "»", after "«" and "n°", in dates, before "€" and "%"
NNBSP = "\u202f"  # narrow: before ";", "!", "?", between the thousands of an amount
_WS = "[ \t\r\n\f\u00a0\u202f]"
_NOT_WS = "[^ \t\r\n\f\u00a0\u202f\ue000\ue001]"
_T = "\ue000*"  # inline tags, as typeset_html sees them: the rules look across <strong>, <em>…
_MONTHS = ("janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre")

_SPACE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # a space before ; ! ? (not "?!" pairs' second sign, not a line's first character)
    (re.compile(rf"(?<={_NOT_WS})({_T}){_WS}+({_T})(?=[;!?])"), rf"\1{NNBSP}\2"),
    (re.compile(rf"(?<={_NOT_WS})({_T}){_WS}+({_T})(?=[:»])"), rf"\1{NBSP}\2"),
    (re.compile(rf"«({_T}){_WS}*(?=[^ \t\r\n\f\u00a0\u202f\ue001])"), rf"«\1{NBSP}"),
    (re.compile(rf"(?<=[^ \t\r\n\f\u00a0\u202f\ue001]){_WS}*({_T})»"), rf"{NBSP}\1»"),
    (re.compile(rf"(?<!\w)([nN]°)({_T}){_WS}+(?=[\w\ue000])"), rf"\1\2{NBSP}"),
    # dates: "4 décembre 2024", "1er mars 2025", "décembre 2024"
    (re.compile(rf"(?<![\w,.])(\d{{1,2}}|1er)({_T}){_WS}+({_T})(?=(?:{_MONTHS})(?!\w))",
                re.IGNORECASE), rf"\1\2{NBSP}\3"),
    (re.compile(rf"(?<!\w)({_MONTHS})({_T}){_WS}+({_T})(?=\d{{4}}(?!\d))", re.IGNORECASE),
     rf"\1\2{NBSP}\3"),
    # an acronym and its number: "BOP 304", "programme 304" stays as written
    (re.compile(rf"(?<![\w'’])([A-Z]{{2,}})({_T}){_WS}+({_T})(?=\d+(?!\w|[,.]\d))"), rf"\1\2{NBSP}\3"),
    # a unit after a number: "12 €", "1,5 M€", "33 %"
    (re.compile(rf"(?<=\d)({_T}){_WS}+({_T})(?=(?:€|[kM]€|%)(?!\w))"), rf"\1{NBSP}\2"),
)
# the thousands of an amount: "1 761 104", never "2024 100" nor the digits of "10:30"
_THOUSANDS = re.compile(rf"(?<![\d,.])\d{{1,3}}(?:{_WS}\d{{3}})+(?![\d])")
_GROUP_SPACE = re.compile(_WS)
# 1er, 1re, 1ers, 1res, 2e, 21es: the letters of an abbreviated ordinal go up
_ORDINAL = re.compile(r"(?<![\w.,])(1)(ers?|res?)(?!\w)|(?<![\w.,])(\d+)(es?)(?!\w)")


def french_spaces(text: str) -> str:
    """The non-breaking spaces of French typography in a plain text (no superscript)."""
    for pattern, replacement in _SPACE_RULES:
        text = pattern.sub(replacement, text)
    return _THOUSANDS.sub(lambda m: _GROUP_SPACE.sub(NNBSP, m.group()), text)


def _superscript(match: re.Match[str]) -> str:
    number = match.group(1) or match.group(3)
    suffix = match.group(2) or match.group(4)
    return f"{number}<sup>{suffix}</sup>"


def french_typography(text: str) -> str:
    """French non-breaking spaces and superscript ordinals (``1<sup>er</sup>``) in the text of
    an HTML element: its result is HTML. Idempotent."""
    return _ORDINAL.sub(_superscript, french_spaces(text))


# -- the same on a whole HTML document: its text only -------------------------------------------

_TOKENS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9]*)")
_INLINE_TAGS = frozenset({"a", "abbr", "b", "em", "i", "small", "span", "strong", "sub", "sup",
                          "u", "mark", "cite", "q", "time"})
_RAW_TAGS = frozenset({"style", "script", "pre", "code", "textarea", "title"})
# an address is never typeset: its ":" "?" "&" stay as written
_ADDRESS = re.compile(r"(?:https?|ftp|mailto|file)://[^\s<>\"']+|www\.[^\s<>\"']+"
                      r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_INLINE, _BLOCK, _WORD = "\ue000", "\ue001", "\ue002"  # _WORD: an address, a word to the rules


def _split(html: str) -> tuple[list[str], str]:
    """Every tag (and raw text, address) out of the text, each replaced by one placeholder:
    ``\\ue000`` for an inline tag (the rules look across it), ``\\ue002`` for an address (a word
    to them), ``\\ue001`` for anything else (a block's edge)."""
    fixed: list[str] = []
    text: list[str] = []
    raw: str | None = None
    for i, token in enumerate(_TOKENS.split(html)):
        if i % 2:  # a tag or a comment
            name_match = _TAG_NAME.match(token)
            name = name_match.group(1).lower() if name_match else ""
            if raw is None and name in _RAW_TAGS and not token.startswith("</"):
                raw = name
            elif raw == name and token.startswith("</"):
                raw = None
            fixed.append(token)
            text.append(_INLINE if name in _INLINE_TAGS and raw is None else _BLOCK)
        elif raw is not None or any(mark in token for mark in (_INLINE, _BLOCK, _WORD)):
            fixed.append(token)  # style, script… and any text already holding a placeholder
            text.append(_BLOCK)
        else:
            pos = 0
            for address in _ADDRESS.finditer(token):
                text.append(token[pos:address.start()])
                fixed.append(address.group())
                text.append(_WORD)
                pos = address.end()
            text.append(token[pos:])
    return fixed, "".join(text)


def typeset_html(html: str) -> str:
    """French typography on the text of an HTML document's ``<body>`` (the whole string when it
    has none): never inside a tag, an attribute, ``<style>``, ``<script>``, an URL or an e-mail
    address. Idempotent."""
    start = html.find("<body")
    start = 0 if start < 0 else html.find(">", start) + 1
    end = html.rfind("</body>")
    end = len(html) if end < start else end
    fixed, text = _split(html[start:end])
    typeset = french_typography(text)
    pieces = iter(fixed)
    body = re.sub(f"[{_INLINE}{_BLOCK}{_WORD}]", lambda _: next(pieces), typeset)
    return html[:start] + body + html[end:]
