"""The order a canvasser walks a turf in: a pure function of each person's address keys.

By street, then the odd side before the even side, then the house number (12 < 12 bis < 12 ter
< 14, "12 B" counted as "12 bis"), then the building, the floor and the flat read from the
address complements; people sharing a household key are one door, knocked once. People with no
street come last, by name. The keys come from the people app (`building_key` is
"postcode|number|street words", the street already folded with its abbreviations spelt out, and
`household_key` adds the folded complement), so "bd Voltaire" and "Boulevard Voltaire" are one
street here as they are one building there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from unidecode import unidecode

ODD, EVEN, NO_NUMBER = 0, 1, 2

# "bis" and "B" are the same suffix in French addressing, "ter" and "C", and so on.
_SUFFIX_RANKS = {
    "": 0,
    "a": 1,
    "b": 2,
    "bis": 2,
    "c": 3,
    "t": 3,
    "ter": 3,
    "d": 4,
    "q": 4,
    "quater": 4,
    "e": 5,
    "quinquies": 5,
    "f": 6,
    "sexies": 6,
}
_NUMBER = re.compile(r"^(\d+)\s*(.*)$")
_WORDS = re.compile(r"[^a-z0-9]+")

_BUILDING = re.compile(
    r"\b(?:batiment|bat|bt|bloc|immeuble|imm|tour|residence|res|entree|ent|escalier|esc|cage)"
    r"\s*([a-z0-9]+)\b"
)
_FLOOR = re.compile(r"\b(?:etage|etg|et)\s*(\d+)\b|\b(\d+)\s*(?:e|eme|er|ere|em)?\s*etage\b")
_GROUND = re.compile(r"\b(?:rdc|rez de chaussee|rez de chausse)\b")
_BASEMENT = re.compile(r"\bsous sol\b")
_FLAT = re.compile(
    r"\b(?:appartement|appart|appt|apt|app|ap|logement|log|porte|pte|lot|chambre|ch|no|n)"
    r"\s*([a-z0-9]+)\b"
)


def fold(text: str | None) -> str:
    """Lowercase ASCII words separated by single spaces."""
    return _WORDS.sub(" ", unidecode(text or "").lower()).strip()


def natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """A key that orders "2" before "10" and "A" before "B": digits as numbers."""
    parts = re.findall(r"\d+|[a-z]+", text)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


@dataclass(frozen=True)
class HouseNumber:
    value: int | None  # None: no number (a lieu-dit, "sans numéro")
    suffix_rank: int
    suffix: str

    @property
    def side(self) -> int:
        if self.value is None:
            return NO_NUMBER
        return ODD if self.value % 2 else EVEN


def house_number(text: str | None) -> HouseNumber:
    """Parse "12", "12 bis", "12B", "12-14" (the first number counts) or "" into its parts."""
    folded = fold(text)
    match = _NUMBER.match(folded)
    if not match:
        return HouseNumber(None, 0, folded)
    value = int(match.group(1))
    suffix = re.match(r"[a-z]*", match.group(2)).group(0)  # type: ignore[union-attr]
    rank = _SUFFIX_RANKS.get(suffix)
    if rank is None:  # an unusual suffix: after the known ones, alphabetically
        rank = 20
    return HouseNumber(value, rank, suffix)


@dataclass(frozen=True)
class Dwelling:
    """Where in the building: each part folded, "" when the complement does not say."""

    building: str
    floor: int | None
    flat: str


def dwelling(*complements: str | None) -> Dwelling:
    """Read building (or staircase, entrance), floor and flat from free-text complements, as
    French rolls write them: "Bât A esc 2", "3e étage", "RDC", "Apt 12", "Porte 5"."""
    text = " ".join(fold(c) for c in complements if c)
    buildings = _BUILDING.findall(text)
    floor: int | None = None
    found = _FLOOR.search(text)
    if found:
        floor = int(found.group(1) or found.group(2))
    elif _GROUND.search(text):
        floor = 0
    elif _BASEMENT.search(text):
        floor = -1
    flat = _FLAT.search(_FLOOR.sub(" ", text))
    return Dwelling(" ".join(buildings), floor, flat.group(1) if flat else "")


@dataclass(frozen=True)
class Resident:
    """What ordering needs of one person (read from the people table in one pass)."""

    person_id: int
    building_key: str
    household_key: str
    address_number: str
    address_complement: str
    address_complement2: str
    sort_name: str


@dataclass(frozen=True)
class Placed:
    """One person's place in the walk: position in the list, door ordinal and street side."""

    person_id: int
    position: int
    door: int
    side: int


def _street_and_postcode(building_key: str) -> tuple[str, str]:
    parts = building_key.split("|", 2)
    if len(parts) != 3:
        return "", ""
    return parts[2], parts[0]


def sort_key(resident: Resident) -> tuple[object, ...]:
    street, postcode = _street_and_postcode(resident.building_key)
    if not street:  # no address to walk to: after every street, by name
        return (1, "", "", NO_NUMBER, 0, 0, "", (), (), (), resident.sort_name, resident.person_id)
    number = house_number(resident.address_number)
    where = dwelling(resident.address_complement, resident.address_complement2)
    return (
        0,
        street,
        postcode,
        number.side,
        number.value if number.value is not None else 0,
        number.suffix_rank,
        number.suffix,
        natural(where.building),
        # Floors in order, an unknown floor after the known ones.
        (0, where.floor) if where.floor is not None else (1, 0),
        natural(where.flat),
        resident.household_key,
        resident.sort_name,
        resident.person_id,
    )


def _door_of(resident: Resident) -> str | int:
    # No household key (no address): the person is a door of their own.
    return resident.household_key or -resident.person_id


def walk_order(residents: Iterable[Resident]) -> list[Placed]:
    """Order residents for the walk, grouping each household as one door.

    A household's members stay together even if their complements were typed differently
    (they share the household key): the household takes the place of its first member."""
    ordered = sorted(residents, key=sort_key)
    first_at: dict[str | int, int] = {}
    for index, resident in enumerate(ordered):
        first_at.setdefault(_door_of(resident), index)
    grouped = sorted(enumerate(ordered), key=lambda item: (first_at[_door_of(item[1])], item[0]))
    placed: list[Placed] = []
    door = 0
    previous: str | int | None = None
    for position, (_index, resident) in enumerate(grouped, start=1):
        key = _door_of(resident)
        if key != previous:
            door += 1
            previous = key
        placed.append(
            Placed(
                person_id=resident.person_id,
                position=position,
                door=door,
                side=house_number(resident.address_number).side
                if _street_and_postcode(resident.building_key)[0]
                else NO_NUMBER,
            )
        )
    return placed


def side_of(number: str) -> int:
    return house_number(number).side


def doors_count(placed: Sequence[Placed]) -> int:
    return placed[-1].door if placed else 0
