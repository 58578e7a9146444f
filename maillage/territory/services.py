"""Writes to the territory tables: make sure areas exist, in bulk (a few queries per batch, never one per row).

Importers call these with every area a file names. Existing rows keep their name unless it was
empty; links (a polling station's constituency, a commune's single constituency) are filled in
when learnt and never silently moved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from maillage.core.columns import max_length
from maillage.territory.codes import (
    commune_department,
    constituency_department,
    constituency_number,
    department_name,
)
from maillage.territory.models import Commune, Constituency, Department, PollingStation

BATCH_SIZE = 1000


def departments_ensure(*, names: Mapping[str, str]) -> dict[str, Department]:
    """`names` is {canonical code: name (may be empty)}; returns {code: Department}."""
    existing = {d.code: d for d in Department.objects.filter(code__in=list(names))}
    missing = [
        Department(
            code=code, name=(name or department_name(code))[: max_length(Department, "name")]
        )
        for code, name in names.items()
        if code not in existing
    ]
    Department.objects.bulk_create(missing, batch_size=BATCH_SIZE, ignore_conflicts=True)
    if missing:
        existing = {d.code: d for d in Department.objects.filter(code__in=list(names))}
    return existing


def constituencies_ensure(*, names: Mapping[str, str]) -> dict[str, Constituency]:
    """`names` is {canonical constituency code: name}; departments are created as needed."""
    departments = departments_ensure(names={constituency_department(code): "" for code in names})
    existing = {c.code: c for c in Constituency.objects.filter(code__in=list(names))}
    missing = [
        Constituency(
            code=code,
            department=departments[constituency_department(code)],
            number=constituency_number(code),
            name=(name or code)[: max_length(Constituency, "name")],
        )
        for code, name in names.items()
        if code not in existing
    ]
    Constituency.objects.bulk_create(missing, batch_size=BATCH_SIZE, ignore_conflicts=True)
    if missing:
        existing = {c.code: c for c in Constituency.objects.filter(code__in=list(names))}
    _fill_placeholder_names(Constituency, existing, names)
    return existing


def communes_ensure(*, communes: Mapping[str, tuple[str, str]]) -> dict[str, Commune]:
    """`communes` is {INSEE code: (department code, name)}."""
    departments = departments_ensure(names={dept: "" for dept, _ in communes.values()})
    existing = {c.code: c for c in Commune.objects.filter(code__in=list(communes))}
    missing = [
        Commune(
            code=code,
            department=departments[dept],
            name=(name or code)[: max_length(Commune, "name")],
        )
        for code, (dept, name) in communes.items()
        if code not in existing
    ]
    Commune.objects.bulk_create(missing, batch_size=BATCH_SIZE, ignore_conflicts=True)
    if missing:
        existing = {c.code: c for c in Commune.objects.filter(code__in=list(communes))}
    _fill_placeholder_names(Commune, existing, {code: name for code, (_, name) in communes.items()})
    return existing


def _fill_placeholder_names(
    model: type[Constituency] | type[Commune],
    rows: Mapping[str, Constituency | Commune],
    names: Mapping[str, str],
) -> None:
    """An area first met without a name (a bureau file) is named by its code until a file names it."""
    named = []
    for code, row in rows.items():
        name = (names.get(code) or "")[:150]
        if name and row.name == code:
            row.name = name
            named.append(row)
    model.objects.bulk_update(named, ["name"], batch_size=BATCH_SIZE)  # type: ignore[arg-type]


def polling_stations_ensure(
    *, stations: Mapping[str, tuple[str, str, str | None]], communes: Mapping[str, tuple[str, str]]
) -> dict[str, PollingStation]:
    """`stations` is {station code: (commune code, bureau number, constituency code or None)}.

    A known constituency is recorded on stations that have none yet; a commune whose every
    known station lies in one constituency gets it as its own, which places later files.
    """
    commune_rows = communes_ensure(communes=communes)
    constituency_codes = {c for _, _, c in stations.values() if c}
    constituencies = {c.code: c for c in Constituency.objects.filter(code__in=constituency_codes)}
    existing = {s.code: s for s in PollingStation.objects.filter(code__in=list(stations))}
    missing = []
    to_link = []
    for code, (commune_code, number, constituency_code) in stations.items():
        constituency = constituencies.get(constituency_code or "")
        station = existing.get(code)
        if station is None:
            missing.append(
                PollingStation(
                    code=code,
                    commune=commune_rows[commune_code],
                    number=number,
                    constituency=constituency,
                )
            )
        elif station.constituency_id is None and constituency is not None:
            station.constituency = constituency
            to_link.append(station)
    PollingStation.objects.bulk_create(missing, batch_size=BATCH_SIZE, ignore_conflicts=True)
    PollingStation.objects.bulk_update(to_link, ["constituency"], batch_size=BATCH_SIZE)
    _communes_link_single_constituency(commune_ids=[c.pk for c in commune_rows.values()])
    return {s.code: s for s in PollingStation.objects.filter(code__in=list(stations))}


def _communes_link_single_constituency(*, commune_ids: list[int]) -> None:
    spans: dict[int, set[int | None]] = {}
    for commune_id, constituency_id in PollingStation.objects.filter(
        commune_id__in=commune_ids
    ).values_list("commune_id", "constituency_id"):
        spans.setdefault(commune_id, set()).add(constituency_id)
    single = [
        Commune(pk=commune_id, constituency_id=next(iter(ids)))
        for commune_id, ids in spans.items()
        if len(ids) == 1 and None not in ids
    ]
    Commune.objects.bulk_update(single, ["constituency"], batch_size=BATCH_SIZE)


# The labels an electoral-roll extract gives a polling station, in this order.
ROLL_LABELS = ("commune_label", "station_label", "canton_label", "constituency_label")
_INSEE_COMMUNE = re.compile(r"(\d{2}|2A|2B)\d{3}")


def polling_stations_register(*, stations: Mapping[tuple[str, str], Sequence[str]]) -> int:
    """Record the communes and polling stations an electoral roll names, with their labels.

    `stations` is {(INSEE commune code, bureau number): (commune label, station label, canton
    label, constituency label)}, the labels possibly empty. A few queries for the whole set
    (one per table and step, batched), never one per station. A station's labels are the
    roll's: a non-empty one replaces the known one, an empty one never erases it. A commune
    keeps its name unless it was only its code (election files name communes better than
    rolls' upper-case labels). Codes that are not official (a hand-made file's "X12") are
    skipped: people keep their code strings either way. Returns the number of stations seen.
    """
    wanted: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for (commune, number), labels in stations.items():
        if not _INSEE_COMMUNE.fullmatch(commune) or not number or len(number) > _NUMBER_LENGTH:
            continue
        wanted[f"{commune}_{number}"] = (commune, number, tuple(labels))
    if not wanted:
        return 0
    communes: dict[str, tuple[str, str]] = {}
    for commune, _number, labels in wanted.values():
        label = labels[0] if labels else ""
        if label or commune not in communes:
            communes[commune] = (commune_department(commune), label)
    commune_rows = communes_ensure(communes=communes)
    existing = {s.code: s for s in PollingStation.objects.filter(code__in=list(wanted))}
    missing, relabelled = [], []
    for code, (commune, number, labels) in wanted.items():
        names = {
            field: label[: max_length(PollingStation, field)]
            for field, label in zip(_STATION_FIELDS, labels[1:], strict=False)
        }
        station = existing.get(code)
        if station is None:
            missing.append(
                PollingStation(code=code, commune=commune_rows[commune], number=number, **names)
            )
            continue
        changed = False
        for field, value in names.items():
            if value and getattr(station, field) != value:
                setattr(station, field, value)
                changed = True
        if changed:
            relabelled.append(station)
    PollingStation.objects.bulk_create(missing, batch_size=BATCH_SIZE, ignore_conflicts=True)
    PollingStation.objects.bulk_update(relabelled, list(_STATION_FIELDS), batch_size=BATCH_SIZE)
    return len(wanted)


_NUMBER_LENGTH = max_length(PollingStation, "number")
# The station's columns holding ROLL_LABELS[1:] (the commune label names the Commune).
_STATION_FIELDS = ("name", "canton_label", "constituency_label")
