"""Seeded generator of fictional voters in the exact REU extract layout (tests, demo, benchmark).

No real personal data: names are drawn from short built-in lists of common French names and
streets are invented. Rows are produced as ready-made text lines (no csv module per row) so a
million rows take a few seconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from maillage.people.imports.presets import REU_HEADERS

SURNAMES = (
    (
        "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL LEFEBVRE LEROY ROUX DAVID "
        "BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER "
        "BLANC GUERIN BOYER GARNIER CHEVALIER FRANCOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY "
        "ROUSSEL MATHIEU GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN BLANCHARD "
        "GIRAUD JOLY RIVIERE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE RENARD SCHMITT ROY LEROUX COLIN "
        "VIDAL CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER PHILIPPE BOURGEOIS PIERRE BENOIT REY "
        "LECLERC PAYET ROLLAND LECLERCQ GUILLAUME LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT BERGER CARPENTIER SANCHEZ DUPUIS "
        "MOULIN LOUIS DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET ADAM PARIS POIRIER MARTY AUBRY "
        "GUYOT CARRE CHARLES RENAULT CHARPENTIER MENARD MAILLARD BARON BERTIN BAILLY HERVE SCHNEIDER FERNANDEZ LE GALL "
        "COLLET LEGER BOUVIER JULIEN PREVOST MILLET PERROT DANIEL LE ROUX COUSIN GERMAIN BRETON BESSON LANGLOIS REMY "
        "PELLETIER LEVEQUE PERRIER LEBLANC BARRE LEBRUN MARCHAL WEBER MALLET HAMON BOULANGER JACOB MONNIER MICHAUD "
        "RODRIGUEZ GUICHARD GILLET ETIENNE GRONDIN POULAIN TESSIER CHEVALLIER COLLIN CHAUVIN DA SILVA BOUCHET GAY LEMAITRE "
        "BENARD MARECHAL HUMBERT REYNAUD ANTOINE HOARAU PERRET BARTHELEMY CORDIER PICHON LEJEUNE GILBERT LAMY DELAUNAY "
        "PASQUIER CARLIER LAPORTE BENHAMOU HADDAD NGUYEN TRAN BENSAID OUALI MEZIANE"
    )
    .replace("LE GALL", "LE-GALL")
    .replace("LE ROUX", "LE-ROUX")
    .replace("DA SILVA", "DA-SILVA")
    .split()
)
FEMALE = [
    "Marie",
    "Jeanne",
    "Françoise",
    "Monique",
    "Catherine",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Anne",
    "Martine",
    "Christine",
    "Sophie",
    "Valérie",
    "Sandrine",
    "Nicole",
    "Céline",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Emma",
    "Inès",
    "Sarah",
    "Julie",
    "Aurélie",
    "Élodie",
    "Hélène",
    "Amandine",
    "Laure",
    "Noémie",
    "Yasmine",
    "Fatima",
    "Agnès",
    "Brigitte",
    "Danielle",
    "Denise",
    "Josiane",
    "Lucie",
    "Maëlle",
    "Zoé",
    "Océane",
    "Margaux",
    "Gisèle",
    "Odette",
    "Thérèse",
    "Émilie",
]
MALE = [
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "Philippe",
    "René",
    "Louis",
    "Alain",
    "Jacques",
    "Bernard",
    "Marcel",
    "Daniel",
    "Roger",
    "Robert",
    "Paul",
    "Claude",
    "Christian",
    "Henri",
    "Georges",
    "Nicolas",
    "François",
    "Patrick",
    "Éric",
    "Laurent",
    "Stéphane",
    "Thomas",
    "Julien",
    "Lucas",
    "Hugo",
    "Théo",
    "Nathan",
    "Karim",
    "Mehdi",
    "Mohamed",
    "Antoine",
    "Sébastien",
    "Olivier",
    "Frédéric",
    "Guillaume",
    "Jérôme",
    "Benoît",
    "Raphaël",
    "Maxime",
    "Loïc",
    "Gaël",
    "Yves",
    "Gérard",
    "Noël",
]
STREETS = (
    "RUE DE LA REPUBLIQUE",
    "BD DE LA LIBERTE",
    "AVENUE DES PINS",
    "RUE VICTOR HUGO",
    "CHEMIN DU VALLON",
    "RUE DU PORT",
    "PLACE DE LA MAIRIE",
    "IMPASSE DES OLIVIERS",
    "RUE JEAN JAURES",
    "AV DU GENERAL DE GAULLE",
    "RUE PASTEUR",
    "ALLEE DES MIMOSAS",
    "RUE DES ECOLES",
    "CHEMIN DE LA CALANQUE",
    "RUE SAINT ROCH",
    "BD DES CHENES",
    "RUE DE L EGLISE",
    "QUAI DES PECHEURS",
    "RUE DES ARTISANS",
    "ROUTE DE LA GARE",
    "RUE FREDERIC MISTRAL",
    "TRAVERSE DES LAVANDES",
    "RUE DU MOULIN",
    "MONTEE DES TILLEULS",
    "RUE DES CIGALES",
    "AVENUE DE LA MER",
    "RUE PAUL CEZANNE",
    "COURS GAMBETTA",
)
BIRTH_PLACES = (
    ("13055", "MARSEILLE", "13"),
    ("75056", "PARIS", "75"),
    ("69123", "LYON", "69"),
    ("13001", "AIX-EN-PROVENCE", "13"),
    ("83137", "TOULON", "83"),
    ("99350", "MAROC", "99"),
    ("06088", "NICE", "06"),
    ("99352", "ALGERIE", "99"),
)
LIST_TYPES = ("Liste principale",) * 48 + (
    "Liste complémentaire municipale",
    "Liste complémentaire européenne",
)
NATIONALITIES = ("Française",) * 30 + ("Italienne", "Portugaise", "Espagnole")


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def roll_lines(
    *,
    rows: int,
    seed: int,
    commune: str = "13999",
    commune_name: str = "VALLON-SUR-MER",
    postcode: str = "13990",
    stations: int = 5,
    constituency: str = "99",
    bad_rows: int = 0,
    today_year: int = 2026,
) -> Iterator[str]:
    """The file's lines: header first, then one line per voter (LF endings added by the writer).

    Bad rows (when asked) are spread through the file in turn: missing name, impossible date,
    wrong column count; the order numbers stay unique so every other row imports.
    """
    rng = random.Random(seed)
    yield ";".join(_quote(h) for h in REU_HEADERS[:-1]) + ";" + REU_HEADERS[-1]
    per_station = -(-rows // max(stations, 1))
    bad_every = rows // bad_rows if bad_rows else 0
    department = commune[:3] if commune[:2] in ("97", "98") else commune[:2]
    commune_q = _quote(commune)
    ugle_q = _quote(commune_name)
    postcode_q = _quote(postcode)
    city_q = _quote(commune_name)
    # Pre-quoted pieces, so a row is a handful of joins.
    surnames = [_quote(n) for n in SURNAMES]
    streets = [_quote(s) for s in STREETS]
    rand = rng.random
    randrange = rng.randrange
    list_types = [_quote(t) for t in LIST_TYPES]
    nationalities = [_quote(n) for n in NATIONALITIES]
    places = [
        f"{_quote(code)};{_quote(name)};{_quote('' if dept == '99' else dept)};{_quote(name if dept == '99' else 'FRANCE')}"
        for code, name, dept in BIRTH_PLACES
    ]
    firsts = {True: [_quote(n) for n in FEMALE], False: [_quote(n) for n in MALE]}
    doubles = {
        sex: [_quote(f"{a} {b}") for a in names for b in names[:12] if a != b]
        for sex, names in ((True, FEMALE), (False, MALE))
    }
    days = [f"{d:02d}" for d in range(32)]
    numbers = [_quote(str(n)) for n in range(181)]
    complements = ['""'] * 93 + [_quote(f"APT {n}") for n in range(1, 41)]
    tail = f'{postcode_q};{city_q};"FRANCE"'
    station_parts = [
        f"{_quote(f'{station:04d}')};{_quote(f'BUREAU {station}')};{_quote(f'{department}{constituency}')};"
        f"{_quote(f'CANTON DE {commune_name}')};{_quote(f'{constituency}E CIRCONSCRIPTION')}"
        for station in range(1, stations + 2)
    ]
    bad_kinds = 0
    for index in range(rows):
        station = index // per_station + 1
        number = index % per_station + 1
        female = rand() < 0.52
        first = (
            firsts[female][randrange(len(firsts[female]))]
            if rand() < 0.6
            else doubles[female][randrange(len(doubles[female]))]
        )
        birth_name = surnames[randrange(len(surnames))]
        usage = surnames[randrange(len(surnames))] if female and rand() < 0.3 else '""'
        year = today_year - 18 - randrange(80)
        partial = rand()
        if partial < 0.01:
            born = f'"00/00/{year}"'
        elif partial < 0.015:
            born = f'"{year}"'
        else:
            born = f'"{days[randrange(1, 29)]}/{days[randrange(1, 13)]}/{year}"'
        fields = [
            commune_q,
            ugle_q,
            list_types[randrange(50)],
            birth_name,
            usage,
            first,
            '"F"' if female else '"M"',
            born,
            places[randrange(len(places))],
            nationalities[randrange(len(nationalities))],
            numbers[randrange(1, 181)],
            streets[randrange(len(streets))],
            complements[randrange(len(complements))],
            '""',
            '""',
            tail,
            station_parts[station - 1],
        ]
        if bad_every and index % bad_every == bad_every // 2:
            kind = bad_kinds % 3
            bad_kinds += 1
            if kind == 0:
                fields[3] = fields[4] = '""'
            elif kind == 1:
                fields[7] = '"31/02/1980"'
            else:
                fields[15] = f"{postcode_q};{city_q}"  # the "pays" column is missing
        yield ";".join(fields) + ";" + str(number)


def write_roll(path: Path | str, **kwargs: object) -> int:
    """Write a generated roll (UTF-8, no BOM, LF) and return the number of data rows."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as handle:
        buffer: list[str] = []
        for line in roll_lines(**kwargs):  # type: ignore[arg-type]
            buffer.append(line)
            if len(buffer) >= 10_000:
                handle.write("\n".join(buffer) + "\n")
                count += len(buffer)
                buffer.clear()
        if buffer:
            handle.write("\n".join(buffer) + "\n")
            count += len(buffer)
    return count - 1
