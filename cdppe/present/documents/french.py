"""French wording helpers for the documents."""

from __future__ import annotations

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
