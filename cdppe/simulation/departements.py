"""The 101 Départements: INSEE code, name and region (for the ARS), in INSEE order."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

REGIONS: dict[str, str] = {
    "ARA": "Auvergne-Rhône-Alpes", "BFC": "Bourgogne-Franche-Comté", "BRE": "Bretagne",
    "CVL": "Centre-Val de Loire", "COR": "Corse", "GES": "Grand Est", "HDF": "Hauts-de-France",
    "IDF": "Île-de-France", "NOR": "Normandie", "NAQ": "Nouvelle-Aquitaine", "OCC": "Occitanie",
    "PDL": "Pays de la Loire", "PAC": "Provence-Alpes-Côte d'Azur", "GUA": "Guadeloupe",
    "MTQ": "Martinique", "GUY": "Guyane", "REU": "La Réunion", "MAY": "Mayotte",
}

_RAW = """01 Ain ARA|02 Aisne HDF|03 Allier ARA|04 Alpes-de-Haute-Provence PAC|05 Hautes-Alpes PAC
06 Alpes-Maritimes PAC|07 Ardèche ARA|08 Ardennes GES|09 Ariège OCC|10 Aube GES|11 Aude OCC
12 Aveyron OCC|13 Bouches-du-Rhône PAC|14 Calvados NOR|15 Cantal ARA|16 Charente NAQ
17 Charente-Maritime NAQ|18 Cher CVL|19 Corrèze NAQ|2A Corse-du-Sud COR|2B Haute-Corse COR
21 Côte-d'Or BFC|22 Côtes-d'Armor BRE|23 Creuse NAQ|24 Dordogne NAQ|25 Doubs BFC|26 Drôme ARA
27 Eure NOR|28 Eure-et-Loir CVL|29 Finistère BRE|30 Gard OCC|31 Haute-Garonne OCC|32 Gers OCC
33 Gironde NAQ|34 Hérault OCC|35 Ille-et-Vilaine BRE|36 Indre CVL|37 Indre-et-Loire CVL
38 Isère ARA|39 Jura BFC|40 Landes NAQ|41 Loir-et-Cher CVL|42 Loire ARA|43 Haute-Loire ARA
44 Loire-Atlantique PDL|45 Loiret CVL|46 Lot OCC|47 Lot-et-Garonne NAQ|48 Lozère OCC
49 Maine-et-Loire PDL|50 Manche NOR|51 Marne GES|52 Haute-Marne GES|53 Mayenne PDL
54 Meurthe-et-Moselle GES|55 Meuse GES|56 Morbihan BRE|57 Moselle GES|58 Nièvre BFC|59 Nord HDF
60 Oise HDF|61 Orne NOR|62 Pas-de-Calais HDF|63 Puy-de-Dôme ARA|64 Pyrénées-Atlantiques NAQ
65 Hautes-Pyrénées OCC|66 Pyrénées-Orientales OCC|67 Bas-Rhin GES|68 Haut-Rhin GES|69 Rhône ARA
70 Haute-Saône BFC|71 Saône-et-Loire BFC|72 Sarthe PDL|73 Savoie ARA|74 Haute-Savoie ARA
75 Paris IDF|76 Seine-Maritime NOR|77 Seine-et-Marne IDF|78 Yvelines IDF|79 Deux-Sèvres NAQ
80 Somme HDF|81 Tarn OCC|82 Tarn-et-Garonne OCC|83 Var PAC|84 Vaucluse PAC|85 Vendée PDL
86 Vienne NAQ|87 Haute-Vienne NAQ|88 Vosges GES|89 Yonne BFC|90 Territoire de Belfort BFC
91 Essonne IDF|92 Hauts-de-Seine IDF|93 Seine-Saint-Denis IDF|94 Val-de-Marne IDF|95 Val-d'Oise IDF
971 Guadeloupe GUA|972 Martinique MTQ|973 Guyane GUY|974 La Réunion REU|976 Mayotte MAY"""

# Population in thousands (INSEE, rounded): scales the generated envelopes.
_POPULATION = {
    "13": 2060, "59": 2610, "75": 2130, "69": 1900, "92": 1630, "93": 1680, "33": 1660, "62": 1460,
    "78": 1450, "77": 1440, "94": 1410, "31": 1440, "91": 1310, "95": 1250, "44": 1460, "38": 1290,
    "06": 1100, "67": 1150, "34": 1200, "76": 1250, "83": 1090, "35": 1100, "57": 1050, "974": 870,
    "23": 115, "48": 77, "90": 140, "976": 320, "973": 290,
}


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    region: str

    @property
    def slug(self) -> str:
        """ASCII, for e-mail domains: ``saone-et-loire``."""
        plain = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode()
        return plain.lower().replace(" ", "-").replace("'", "-")

    @property
    def population_k(self) -> int:
        return _POPULATION.get(self.code, 400 + (sum(map(ord, self.code)) * 37) % 500)

    @property
    def region_name(self) -> str:
        return REGIONS[self.region]


def _parse() -> list[Departement]:
    out = []
    for item in _RAW.replace("\n", "|").split("|"):
        code, rest = item.split(" ", 1)
        name, region = rest.rsplit(" ", 1)
        out.append(Departement(code, name, region))
    return out


DEPARTEMENTS: list[Departement] = _parse()
assert len(DEPARTEMENTS) == 101
BY_CODE: dict[str, Departement] = {d.code: d for d in DEPARTEMENTS}
