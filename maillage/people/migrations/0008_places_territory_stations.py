"""Polling stations move to `territory`, the one home of places: every `RollStation` row
becomes (or labels) a `territory.PollingStation` with its `Commune` (and `Department`), then
`RollStation` goes. Set-based: a few queries for the whole table. Reversible: going back
recreates `RollStation` from the territory stations that carry roll labels.

Station codes keep the people app's form, so `Person.polling_station_code` ("13055_0003")
is the territory station's `code`. Rows whose codes are not official (a commune code that is
not INSEE, a station number longer than territory's) have no territory row and are dropped
with the table: people keep their code strings, which is all segment counts read."""

import re

from django.db import migrations

from maillage.territory.codes import commune_department, department_name

BATCH = 1000
_INSEE = re.compile(r"(\d{2}|2A|2B)\d{3}")


def _cut(model, field, value):
    return value[: model._meta.get_field(field).max_length]


def forwards(apps, schema_editor):
    RollStation = apps.get_model("people", "RollStation")
    Department = apps.get_model("territory", "Department")
    Commune = apps.get_model("territory", "Commune")
    PollingStation = apps.get_model("territory", "PollingStation")
    number_length = PollingStation._meta.get_field("number").max_length
    rows = [
        r
        for r in RollStation.objects.order_by("commune_code", "station_code")
        if _INSEE.fullmatch(r.commune_code) and 0 < len(r.station_code) <= number_length
    ]
    if not rows:
        return
    departments = {commune_department(r.commune_code) for r in rows}
    Department.objects.bulk_create(
        [
            Department(code=d, name=_cut(Department, "name", department_name(d)))
            for d in departments
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    department_ids = dict(Department.objects.filter(code__in=departments).values_list("code", "pk"))
    labels = {}
    for r in rows:
        if r.commune_label or r.commune_code not in labels:
            labels[r.commune_code] = r.commune_label
    Commune.objects.bulk_create(
        [
            Commune(
                code=code,
                department_id=department_ids[commune_department(code)],
                name=_cut(Commune, "name", label or code),
            )
            for code, label in labels.items()
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    communes = {c.code: c for c in Commune.objects.filter(code__in=list(labels))}
    named = []
    for code, commune in communes.items():
        if commune.name == code and labels[code]:
            commune.name = _cut(Commune, "name", labels[code])
            named.append(commune)
    Commune.objects.bulk_update(named, ["name"], batch_size=BATCH)
    codes = {f"{r.commune_code}_{r.station_code}": r for r in rows}
    PollingStation.objects.bulk_create(
        [
            PollingStation(
                code=code,
                commune_id=communes[r.commune_code].pk,
                number=r.station_code,
                name=r.station_label,
                canton_label=r.canton_label,
                constituency_label=r.constituency_label,
            )
            for code, r in codes.items()
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    # Stations territory knew already (from election results) take the roll's labels.
    relabelled = []
    for station in PollingStation.objects.filter(code__in=list(codes)):
        r = codes[station.code]
        changed = False
        for field, value in (
            ("name", r.station_label),
            ("canton_label", r.canton_label),
            ("constituency_label", r.constituency_label),
        ):
            if value and getattr(station, field) != value:
                setattr(station, field, value)
                changed = True
        if changed:
            relabelled.append(station)
    PollingStation.objects.bulk_update(
        relabelled, ["name", "canton_label", "constituency_label"], batch_size=BATCH
    )


def backwards(apps, schema_editor):
    RollStation = apps.get_model("people", "RollStation")
    PollingStation = apps.get_model("territory", "PollingStation")
    stations = PollingStation.objects.select_related("commune").filter(
        commune__code__regex=r"^.{5}$"
    )
    RollStation.objects.bulk_create(
        [
            RollStation(
                commune_code=s.commune.code,
                station_code=_cut(RollStation, "station_code", s.number),
                commune_label=s.commune.name if s.commune.name != s.commune.code else "",
                station_label=s.name,
                canton_label=s.canton_label,
                constituency_label=s.constituency_label,
                source="territory",
            )
            for s in stations
            if s.name or s.canton_label or s.constituency_label
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_person_department_index"),
        ("territory", "0002_roll_labels"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="RollStation"),
    ]
