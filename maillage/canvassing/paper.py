"""Paper canvassing: the printable walk list (PDF, with a result grid) and the results typed
back in from it.

The sheet lists the turf's doors in walk order, one line per person with a box per door result
code and per support level. Typing it back in goes through the contact-attempt ledger
(`contact_attempt_record`), one row per person, each row with a client UUID made when the
entry page was drawn: sending the page twice (a double click, a reload after a timeout) records
each row once. Every PDF is an export of personal data: it is written to the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.canvassing.models import Turf
from maillage.canvassing.selectors import WalkDoor, walk_list
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.selectors import DOOR_RESULTS, Channel, Interaction, SupportLevel
from maillage.people.services import ContactAttempt, contact_attempt_record

SOURCE_KIND = "turf"
NOTE_MAX = 2_000


def result_choices() -> list[tuple[str, str, str]]:
    """(digit typed, value, label) of the door results, in the ledger's display order: the
    digit is what a keyboard user types in the entry screen and what the sheet prints."""
    labels = dict(Interaction.Result.choices)
    return [(str(n), value, str(labels[value])) for n, value in enumerate(DOOR_RESULTS, 1)]


def support_choices() -> list[tuple[str, int, str]]:
    return [(str(level.value), level.value, str(level.label)) for level in SupportLevel]


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"the walk list loads nothing ({url})")


# Doors per printed sheet: about what one canvasser walks in an outing, and what WeasyPrint
# lays out in a few seconds (a whole 2,000-door turf in one request would take minutes).
SHEET_DOORS = 100


@dataclass(frozen=True)
class Sheet:
    number: int
    first_door: int
    last_door: int


def walk_list_sheets(*, turf: Turf) -> list[Sheet]:
    """The printable sheets of a turf: runs of SHEET_DOORS doors in walk order."""
    return [
        Sheet(n, start, min(start + SHEET_DOORS - 1, turf.door_count))
        for n, start in enumerate(range(1, turf.door_count + 1, SHEET_DOORS), start=1)
    ]


def walk_list_pdf(*, actor: User, turf: Turf, sheet: int = 1, request: Any = None) -> bytes:
    """One sheet of the printable walk list of an access-checked turf, as PDF bytes (a sheet
    past the last is the last one); audit-logged as an export of personal data."""
    from weasyprint import CSS, HTML

    sheets = walk_list_sheets(turf=turf) or [Sheet(1, 1, 0)]
    chosen = sheets[min(max(sheet, 1), len(sheets)) - 1]
    doors = [d for d in walk_list(turf=turf) if chosen.first_door <= d.door <= chosen.last_door]
    results, supports = result_choices(), support_choices()
    html = render_to_string(
        "canvassing/turfs/walk_list_print.html",
        {
            "turf": turf,
            "doors": doors,
            "sheet": chosen,
            "sheets": len(sheets),
            "results": results,
            "supports": supports,
            "columns": len(results) + len(supports) + 5,
            "printed_at": timezone.localtime(),
            "printed_by": actor,
        },
        request=request,
    )
    stylesheet = finders.find("canvassing/turfs/walk_list_print.css")
    # The page is built here, never fetched: WeasyPrint gets no URL to load anything from.
    pdf = HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf(
        stylesheets=[CSS(filename=str(stylesheet))]
    )
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.EXPORT,
        target=turf,
        changes={
            "format": "pdf",
            "walk_list": True,
            "sheet": chosen.number,
            "doors": [chosen.first_door, chosen.last_door],
            "people": sum(len(d.people) for d in doors),
        },
    )
    return bytes(pdf)


@dataclass(frozen=True)
class PaperRow:
    """One person's line typed back in from a sheet (result "" = nothing on the paper)."""

    person_id: int
    client_uuid: uuid.UUID
    result: str = ""
    support_level: int | None = None
    note: str = ""

    @property
    def is_blank(self) -> bool:
        return not self.result and self.support_level is None and not self.note


@dataclass
class PaperOutcome:
    recorded: int = 0
    already: int = 0  # the row's UUID was already recorded (the page was sent twice)
    errors: dict[int, str] = field(default_factory=dict)  # person id -> message


def paper_rows_parse(
    data: Mapping[str, Any], person_ids: Sequence[int]
) -> tuple[list[PaperRow], dict[int, str]]:
    """Read the entry page's rows (`p<id>-uuid`, `-result`, `-support`, `-note`) for these
    people only; returns the rows and the per-person errors of what could not be read."""
    results = {value for _digit, value, _label in result_choices()}
    supports = {value for _digit, value, _label in support_choices()}
    rows: list[PaperRow] = []
    errors: dict[int, str] = {}
    for pk in person_ids:
        prefix = f"p{pk}-"
        result = (data.get(prefix + "result") or "").strip()
        support_text = (data.get(prefix + "support") or "").strip()
        note = (data.get(prefix + "note") or "").strip()
        if not result and not support_text and not note:
            continue
        try:
            client_uuid = uuid.UUID(str(data.get(prefix + "uuid") or ""))
        except ValueError:
            errors[pk] = _("Ligne illisible : rechargez la page.")
            continue
        if result and result not in results:
            errors[pk] = _("Résultat inconnu.")
            continue
        support: int | None = None
        if support_text:
            try:
                support = int(support_text)
            except ValueError:
                support = None
            if support not in supports:
                errors[pk] = _("Niveau de soutien inconnu.")
                continue
        if support is not None and not result:
            result = Interaction.Result.TALKED.value  # an opinion was given: they talked
        if support is not None and result != Interaction.Result.TALKED.value:
            errors[pk] = _("Un niveau de soutien ne se note qu'après une conversation.")
            continue
        if not result:
            errors[pk] = _("Choisissez un résultat pour cette note.")
            continue
        if len(note) > NOTE_MAX:
            errors[pk] = _("La note dépasse %(max)d caractères.") % {"max": NOTE_MAX}
            continue
        rows.append(PaperRow(pk, client_uuid, result, support, note))
    return rows, errors


def paper_results_record(
    *, actor: User, turf: Turf, occurred_at: datetime, rows: Sequence[PaperRow]
) -> PaperOutcome:
    """Record the typed-in rows as door attempts of this turf, each on its own (one row refused,
    for instance a person no longer in the actor's scope, does not lose the others)."""
    outcome = PaperOutcome()
    for row in rows:
        if row.is_blank:
            continue
        try:
            done = contact_attempt_record(
                actor=actor,
                attempt=ContactAttempt(
                    person_id=row.person_id,
                    channel=Channel.DOOR.value,
                    result=row.result,
                    client_uuid=row.client_uuid,
                    occurred_at=occurred_at,
                    support_level=row.support_level,
                    note=row.note,
                    source_kind=SOURCE_KIND,
                    source_id=turf.pk,
                ),
            )
        except ApplicationError as exc:
            outcome.errors[row.person_id] = exc.message
            continue
        if done.created:
            outcome.recorded += 1
        else:
            outcome.already += 1
    return outcome


def entry_page(doors: list[WalkDoor], page: int, per_page: int) -> tuple[list[WalkDoor], int]:
    """The doors of one entry page (whole doors: a household is never split) and the count of
    pages; pages hold about `per_page` people."""
    pages: list[list[WalkDoor]] = [[]]
    size = 0
    for door in doors:
        if size and size + len(door.people) > per_page:
            pages.append([])
            size = 0
        pages[-1].append(door)
        size += len(door.people)
    page = min(max(page, 1), len(pages))
    return pages[page - 1], len(pages)


@dataclass(frozen=True)
class EntryRow:
    """What one person's line of the entry page holds (its UUID survives a failed submit)."""

    person: Any  # WalkPerson
    client_uuid: str
    result: str
    support: str
    note: str


def entry_rows(
    doors: Sequence[WalkDoor], data: Mapping[str, Any] | None
) -> list[tuple[WalkDoor, list[EntryRow]]]:
    """The entry page's lines by door: fresh UUIDs for a new page, the posted values (UUIDs
    included) when the page comes back with errors, so the next submit is still idempotent."""
    data = data or {}
    lines = []
    for door in doors:
        rows = []
        for person in door.people:
            prefix = f"p{person.person_id}-"
            rows.append(
                EntryRow(
                    person=person,
                    client_uuid=str(data.get(prefix + "uuid") or uuid.uuid4()),
                    result=str(data.get(prefix + "result") or ""),
                    support=str(data.get(prefix + "support") or ""),
                    note=str(data.get(prefix + "note") or ""),
                )
            )
        lines.append((door, rows))
    return lines
