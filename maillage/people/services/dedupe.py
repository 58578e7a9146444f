"""Likely duplicates (blocking + rapidfuzz scoring, in sets) and the merge that keeps everything.

Exact matches (roll identity, email, E.164 phone) are merged by the import itself; this module
proposes the fuzzy ones to staff and carries out the merge they choose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.services import (
    audit_log_record,
    task_progress_advance,
    task_progress_alive,
    task_progress_create,
    task_progress_fail,
    task_progress_finish,
    task_progress_start,
)
from maillage.people.models import (
    Consent,
    ConsentChannel,
    DuplicateCandidate,
    EmailAddress,
    Interaction,
    Person,
    PersonList,
    PersonTag,
    PhoneNumber,
)
from maillage.people.normalise import fold
from maillage.people.selectors.dedupe import SEARCH_KIND, duplicates_search_in_progress
from maillage.people.services.persons import (
    ADDRESS_FIELDS,
    IDENTITY_FIELDS,
    ROLE_FIELDS,
    ROLL_IDENTITY_FIELDS,
    person_keys_refresh,
)
from maillage.people.signals import person_merging

# A pair is proposed from this score up (0-100): a name at ~85 % token similarity with the
# same birth year, lifted by a matching full birth date or a shared household.
THRESHOLD = 85
_COLUMNS = (
    "pk",
    "birth_name",
    "usage_name",
    "first_names",
    "birth_year",
    "birth_month",
    "birth_day",
    "household_key",
)


def _name(row: dict[str, Any]) -> str:
    """Folded birth name and first names, once per person (a person is in several blocks)."""
    name = row.get("_name")
    if name is None:
        name = row["_name"] = fold(f"{row['birth_name']} {row['first_names']}")
    return name


def _alt_name(row: dict[str, Any]) -> str:
    """The name under the married name, folded once per person (not once per pair)."""
    alt = row.get("_alt")
    if alt is None:
        alt = row["_alt"] = fold(f"{row['usage_name'] or row['birth_name']} {row['first_names']}")
    return alt


def _score(a: dict[str, Any], b: dict[str, Any], name_score: float) -> tuple[int, list[str]]:
    reasons = [f"noms semblables ({round(name_score)} %)"]
    score = name_score
    if a["usage_name"] or b["usage_name"]:
        # A married name on one record and the birth name on the other.
        alt = max(fuzz.token_sort_ratio(_alt_name(a), _alt_name(b)), name_score)
        score = max(score, alt)
    if a["birth_year"] and b["birth_year"]:
        if a["birth_year"] != b["birth_year"]:
            score -= 20
        elif _full_date(a) and _full_date(b):
            if (a["birth_month"], a["birth_day"]) == (b["birth_month"], b["birth_day"]):
                score += 10
                reasons.append("même date de naissance")
            else:
                score -= 30
        else:
            reasons.append("même année de naissance")
    if a["household_key"] and a["household_key"] == b["household_key"]:
        score += 10
        reasons.append("même foyer")
    return max(0, min(100, round(score))), reasons


def _full_date(row: dict[str, Any]) -> bool:
    return bool(row["birth_month"] and row["birth_day"])


def _pairs_in_block(
    rows: list[dict[str, Any]], only: set[int] | None, lead: int | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any], float]]:
    """Pairs of the block whose names are close enough to be scored. With `only`, pairs with
    at least one of those people; with `lead`, pairs with one of the block's first `lead` rows."""
    if len(rows) < 2:
        return
    if only is not None and all(row["pk"] in only for row in rows):
        only = None  # a block of new people only (a first load): no filtering to do
    # Tokens sorted once per person, then plain ratio: the same as token_sort_ratio without
    # re-sorting for every pair; process.extract loops in C over the rest of the block.
    names = [" ".join(sorted(_name(r).split())) for r in rows]
    for i in range(len(rows) - 1 if lead is None else min(lead, len(rows) - 1)):
        if only is not None and rows[i]["pk"] not in only:
            candidates = [(j, names[j]) for j in range(i + 1, len(rows)) if rows[j]["pk"] in only]
        else:
            candidates = list(enumerate(names))[i + 1 :]
        if not candidates:
            continue
        choices = [name for _, name in candidates]
        for _choice, name_score, k in process.extract(
            names[i], choices, scorer=fuzz.ratio, score_cutoff=THRESHOLD - 20, limit=None
        ):
            yield rows[i], rows[candidates[k][0]], float(name_score)


def _score_identity_blocks(
    people: Iterable[dict[str, Any]],
    only: set[int] | None,
    found: dict[tuple[int, int], tuple[int, list[str]]],
) -> None:
    """People sharing a birth year and the first letter of their folded birth name.

    Within such a block, two people with full birth dates that differ can never reach the
    threshold (−30 outweighs any name and household bonus, see `_score`), so people with a
    full date are only compared with those born the same day, and people with a partial date
    with everyone of the block: the same pairs are found, a few hundred times fewer scored."""
    same_day: dict[tuple[int, str, int, int], list[dict[str, Any]]] = defaultdict(list)
    partial: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    dated: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in people:
        initial = fold(row["birth_name"] or row["usage_name"])[:1]
        if not (row["birth_year"] and initial):
            continue
        key = (row["birth_year"], initial)
        if _full_date(row):
            same_day[(*key, row["birth_month"], row["birth_day"])].append(row)
            dated[key].append(row)
        else:
            partial[key].append(row)
    _score_blocks(same_day.values(), only, found)
    for key, undated in partial.items():
        # The partial dates lead: pairs among them, and with the rest of their block.
        _score_blocks([[*undated, *dated.get(key, [])]], only, found, lead=len(undated))


def _household_blocks(people: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    blocks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in people:
        if row["household_key"]:
            blocks[row["household_key"]].append(row)
    return list(blocks.values())


def _score_blocks(
    blocks: Iterable[list[dict[str, Any]]],
    only: set[int] | None,
    found: dict[tuple[int, int], tuple[int, list[str]]],
    lead: int | None = None,
) -> None:
    for block in blocks:
        for a, b, name_score in _pairs_in_block(block, only, lead):
            score, reasons = _score(a, b, name_score)
            key = (min(a["pk"], b["pk"]), max(a["pk"], b["pk"]))
            if score >= THRESHOLD and (key not in found or found[key][0] < score):
                found[key] = (score, reasons)


def _id_runs(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as runs of consecutive ones: the people of an import are one block of ids
    (minus rejected lines), so a million of them are read with a few range conditions."""
    runs: list[tuple[int, int]] = []
    for pk in ids:
        if runs and pk == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], pk)
        else:
            runs.append((pk, pk))
    return runs


# People are read in sets of this many ids or households: memory stays flat whatever the
# number of people given (a million after a first roll load).
_CHUNK = 5_000


def duplicates_detect(
    *,
    person_ids: list[int] | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> int:
    """Find likely duplicates among (or against) the given people; returns new candidates.

    Reads people one birth year at a time (the years of the given people, or every year),
    then the households of the given people (or every shared household) a set at a time,
    scores each block with rapidfuzz, skips pairs already decided or queued, and writes the
    new pairs in bulk. The number of queries grows with birth years and sets, never with
    people one by one; memory holds one birth year at a time.

    For the whole table, `on_step(done, total)` is called after each birth year and after the
    households (total: the years + 1), so a progress bar can follow a search of a million."""
    found: dict[tuple[int, int], tuple[int, list[str]]] = {}
    if person_ids is None:
        years = sorted(
            year
            for year in Person.objects.exclude(birth_year=None)
            .order_by()
            .values_list("birth_year", flat=True)
            .distinct()
            if year
        )
        for done, year in enumerate(years, start=1):
            _score_identity_blocks(
                Person.objects.filter(birth_year=year).values(*_COLUMNS), None, found
            )
            if on_step is not None:
                on_step(done, len(years) + 1)
        # Every household of several people, streamed in household order: one block at a time.
        shared = (
            Person.objects.exclude(household_key="")
            .order_by()
            .values("household_key")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values("household_key")
        )
        rows = (
            Person.objects.filter(household_key__in=shared)
            .order_by("household_key")
            .values(*_COLUMNS)
            .iterator(chunk_size=_CHUNK)
        )
        blocks = (list(block) for _key, block in groupby(rows, key=itemgetter("household_key")))
        _score_blocks(blocks, None, found)
        if on_step is not None:
            on_step(len(years) + 1, len(years) + 1)
    else:
        only = set(person_ids)
        if not only:
            return 0
        runs = _id_runs(sorted(only))
        seed_years: set[int] = set()
        households: set[str] = set()
        for start in range(0, len(runs), _CHUNK // 10):
            ranges = Q()
            for first, last in runs[start : start + _CHUNK // 10]:
                ranges |= Q(pk__range=(first, last))
            for born, household in Person.objects.filter(ranges).values_list(
                "birth_year", "household_key"
            ):
                if born:
                    seed_years.add(born)
                if household:
                    households.add(household)
        for year in sorted(seed_years):
            _score_identity_blocks(
                Person.objects.filter(birth_year=year).values(*_COLUMNS), only, found
            )
        ordered = sorted(households)
        for start in range(0, len(ordered), _CHUNK):
            shared = (
                Person.objects.filter(household_key__in=ordered[start : start + _CHUNK])
                .order_by()
                .values("household_key")
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
                .values("household_key")
            )  # only households of several people: most new voters live alone or with no one known
            rows = Person.objects.filter(household_key__in=shared).values(*_COLUMNS)
            _score_blocks(_household_blocks(rows), only, found)
    if not found:
        return 0
    involved = sorted({pk for pair in found for pk in pair})
    existing: set[tuple[int, int]] = set()
    for start in range(0, len(involved), 900):  # SQLite's bound-parameter limit
        chunk = involved[start : start + 900]
        existing.update(
            DuplicateCandidate.objects.filter(first_id__in=chunk).values_list(
                "first_id", "second_id"
            )
        )
    new = [
        DuplicateCandidate(first_id=first, second_id=second, score=score, reasons=reasons)
        for (first, second), (score, reasons) in found.items()
        if (first, second) not in existing
    ]
    DuplicateCandidate.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


def duplicates_search_create(*, actor: User | None) -> TaskProgress:
    """The progress record of a new whole-table search; refused while one is under way (two
    would score the same million people twice for nothing)."""
    if duplicates_search_in_progress() is not None:
        raise ApplicationError(
            _(
                "Une recherche de doublons est déjà en cours : suivez-la plutôt que d'en lancer une autre."
            )
        )
    return task_progress_create(
        kind=SEARCH_KIND, label=_("Recherche des doublons dans toute la base"), owner=actor
    )


def duplicates_search_run(*, progress_id: str) -> int:
    """Search the whole table, moving the bar once per birth year; returns the new pairs."""
    task_progress_start(progress_id=progress_id, message=_("Comparaison par année de naissance"))

    def step(done: int, total: int) -> None:
        message = _("Foyers") if done == total - 1 else None
        task_progress_advance(progress_id=progress_id, done=done, total=total, message=message)

    try:
        with task_progress_alive(progress_id):
            found = duplicates_detect(on_step=step)
    except Exception as error:
        task_progress_fail(
            progress_id=progress_id,
            message=_("Recherche interrompue : %(error)s") % {"error": error},
        )
        raise
    waiting = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN).count()
    task_progress_finish(
        progress_id=progress_id,
        result={"found": found, "open": waiting, "url": reverse("people:duplicate_list")},
        message=_("%(found)s nouvelle(s) paire(s) ; %(open)s à examiner en tout")
        % {"found": found, "open": waiting},
    )
    return found


# Identity and address fields a merge fills on the kept person when they are blank there.
_FILL_FIELDS = (
    *(f for f in IDENTITY_FIELDS if f not in ROLL_IDENTITY_FIELDS),
    *ADDRESS_FIELDS,
)


def _move_unique_children(model: Any, field: str, keep: Person, merge: Person) -> int:
    """Move the merged person's rows unless the kept person already has the same value."""
    kept_values = set(model.objects.filter(person=keep).values_list(field, flat=True))
    rows = model.objects.filter(person=merge)
    moved = rows.exclude(**{f"{field}__in": kept_values}).update(
        person=keep, **({"is_primary": False} if kept_values else {})
    )
    rows.delete()  # the duplicates left behind
    return moved


@transaction.atomic
def person_merge(*, actor: User, keep: Person, merge: Person) -> Person:
    """Fold `merge` into `keep`: every interaction, consent, email, phone, tag, list membership,
    source and extra column moves, and the other apps move theirs (`people.signals.
    person_merging`); blanks are filled; the denormalised columns are recomputed from the
    history; `merge` is deleted. Audit-logged as `merge`."""
    if keep.pk == merge.pk:
        raise ApplicationError(_("Une personne ne peut pas être fusionnée avec elle-même."))
    keep = Person.objects.select_for_update().get(pk=keep.pk)
    merge = Person.objects.select_for_update().get(pk=merge.pk)
    moved = {
        "interactions": Interaction.objects.filter(person=merge).update(person=keep),
        "consents": Consent.objects.filter(person=merge).update(person=keep),
        "emails": _move_unique_children(EmailAddress, "address", keep, merge),
        "phones": _move_unique_children(PhoneNumber, "number", keep, merge),
    }
    kept_tags = PersonTag.objects.filter(person=keep).values("tag_id")
    moved["tags"] = (
        PersonTag.objects.filter(person=merge).exclude(tag_id__in=kept_tags).update(person=keep)
    )
    Membership = PersonList.members.through
    kept_lists = Membership.objects.filter(person_id=keep.pk).values("personlist_id")
    moved["lists"] = (
        Membership.objects.filter(person_id=merge.pk)
        .exclude(personlist_id__in=kept_lists)
        .update(person_id=keep.pk)
    )

    filled = [
        name
        for name in _FILL_FIELDS
        if getattr(keep, name) in ("", None) and getattr(merge, name) not in ("", None)
    ]
    for name in filled:
        setattr(keep, name, getattr(merge, name))
    for name in ROLE_FIELDS:
        setattr(keep, name, getattr(keep, name) or getattr(merge, name))
    keep.sources = list(dict.fromkeys([*(keep.sources or []), *(merge.sources or [])]))
    keep.extra = {**(merge.extra or {}), **(keep.extra or {})}
    if merge.notes and merge.notes not in keep.notes:
        keep.notes = f"{keep.notes}\n{merge.notes}".strip()
    take_roll = keep.roll_number is None and merge.roll_number is not None
    roll = (merge.roll_commune_code, merge.roll_station_code, merge.roll_number)
    take_user = keep.user_id is None and merge.user_id is not None
    user_id = merge.user_id
    # The apps built on people move their rows (turfs, call queues, deliveries) now.
    person_merging.send(sender=Person, keep=keep, merge=merge)
    merged_pk = merge.pk
    merge.delete()  # frees its roll identity and user link before the kept person takes them
    if take_roll:
        keep.roll_commune_code, keep.roll_station_code, keep.roll_number = roll
    if take_user:
        keep.user_id = user_id
    _recompute_denormalised(keep)
    person_keys_refresh(keep)
    # Every column may change here (blanks filled, roles, roll identity, keys, the history's
    # denormalised columns): the full write is the point, so it is spelled out.
    keep.save(update_fields=None)
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.MERGE,
        target=keep,
        target_label=f"#{keep.pk}",
        changes={"merged_id": merged_pk, "moved": moved, "filled": filled},
    )
    return keep


def _recompute_denormalised(person: Person) -> None:
    """Latest interaction, latest support level and the consent in force per channel, from history."""
    latest = (
        Interaction.objects.filter(person=person)
        .order_by("-occurred_at", "-id")
        .values("occurred_at", "channel")
        .first()
    )
    person.last_interaction_at = latest["occurred_at"] if latest else None
    person.last_interaction_channel = latest["channel"] if latest else ""
    support = (
        Interaction.objects.filter(person=person)
        .exclude(support_level=None)
        .order_by("-occurred_at", "-id")
        .values("support_level", "occurred_at")
        .first()
    )
    person.current_support = support["support_level"] if support else None
    person.support_updated_at = support["occurred_at"] if support else None
    in_force: dict[str, bool] = {}
    for channel, granted in (
        Consent.objects.filter(person=person)
        .order_by("-recorded_at", "-id")
        .values_list("channel", "granted")
    ):
        in_force.setdefault(channel, granted)
    for channel in ConsentChannel.values:
        setattr(person, f"consent_{channel}", in_force.get(channel))


@transaction.atomic
def duplicate_dismiss(*, actor: User, candidate: DuplicateCandidate) -> DuplicateCandidate:
    candidate.status = DuplicateCandidate.Status.DISMISSED
    candidate.decided_by = actor
    candidate.save(update_fields=["status", "decided_by", "updated_at"])
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=candidate,
        target_label=f"doublon #{candidate.pk}",
        changes={"status": "dismissed"},
    )
    return candidate


@transaction.atomic
def duplicate_merge(*, actor: User, candidate: DuplicateCandidate, keep_id: int) -> Person:
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise ApplicationError(_("Cette paire a déjà été traitée."))
    if keep_id not in (candidate.first_id, candidate.second_id):
        raise ApplicationError(_("La personne à garder doit être l'une des deux de la paire."))
    keep, merge = (
        (candidate.first, candidate.second)
        if keep_id == candidate.first_id
        else (candidate.second, candidate.first)
    )
    return person_merge(actor=actor, keep=keep, merge=merge)
