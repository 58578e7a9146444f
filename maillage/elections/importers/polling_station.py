"""Placing per-bureau results in their constituency: the per-bureau files have no constituency column.

In order: the territory tables (a bureau already placed, or a commune lying in a single
constituency), then the candidates: in a legislative election each constituency has its own
set of candidates, so a bureau whose candidate names are exactly those of one constituency of
its department (same election, same round, already imported) belongs to it. What is placed is
written back to the territory tables, so the next file for the same bureaux needs no guessing.
"""

from __future__ import annotations

from collections import defaultdict

from unidecode import unidecode

from maillage.elections.importers.base import ParsedArea
from maillage.elections.models import CandidateResult, Election, Level
from maillage.territory import selectors as territory_selectors


def _surname(name: str) -> str:
    return unidecode(name).upper().strip()


def resolve_constituencies(*, election: Election, areas: list[ParsedArea]) -> tuple[int, list[str]]:
    """Fill `constituency_code` on bureau/commune areas that lack it. Returns (placed, unplaced codes)."""
    # Communes matter only where seats are per constituency; a presidential commune needs none.
    levels = (
        {Level.POLLING_STATION, Level.COMMUNE}
        if election.type == Election.Type.LEGISLATIVE
        else {Level.POLLING_STATION}
    )
    pending = [area for area in areas if area.level in levels and not area.constituency_code]
    if not pending:
        return 0, []
    by_station = territory_selectors.polling_station_constituencies(
        codes=[a.code for a in pending if a.level == Level.POLLING_STATION]
    )
    by_commune = territory_selectors.commune_constituencies(codes={a.commune_code for a in pending})
    placed = 0
    still: list[ParsedArea] = []
    for area in pending:
        found = by_station.get(area.code) or by_commune.get(area.commune_code)
        if found:
            area.constituency_code = found
            placed += 1
        else:
            still.append(area)
    if still:
        signatures = _constituency_signatures(
            election=election, departments={a.department_code for a in still}
        )
        for area in still:
            names = frozenset(_surname(c.last_name) for c in area.candidates)
            same_round = signatures.get((area.department_code, area.round_number or 0), {})
            matches = [code for code, known in same_round.items() if known == names]
            if not matches and area.round_number == 2:
                # Round-2 candidates are a subset of the round-1 ones.
                first = signatures.get((area.department_code, 1), {})
                matches = [code for code, known in first.items() if names and names <= known]
            if len(matches) == 1:
                area.constituency_code = matches[0]
                placed += 1
    return placed, list(dict.fromkeys(a.code for a in pending if not a.constituency_code))


def _constituency_signatures(
    *, election: Election, departments: set[str]
) -> dict[tuple[str, int], dict[str, frozenset[str]]]:
    names: dict[tuple[str, int, str], set[str]] = defaultdict(set)
    rows = CandidateResult.objects.filter(
        area__election=election,
        area__level=Level.CONSTITUENCY,
        area__department_code__in=departments,
    ).values_list("area__department_code", "area__round_number", "area__code", "last_name")
    for dept, round_number, code, last_name in rows.iterator(chunk_size=5000):
        names[(dept, round_number, code)].add(_surname(last_name))
    signatures: dict[tuple[str, int], dict[str, frozenset[str]]] = defaultdict(dict)
    for (dept, round_number, code), surnames in names.items():
        signatures[(dept, round_number)][code] = frozenset(surnames)
    return signatures
