"""Offline sync: a batch of door results posted by the doorstep app's outbox.

Each result carries a UUID made by the phone when the form opened, so a retry, a double tap or
a batch posted twice (the answer lost on a bad network) stores nothing twice: the answer says,
per result, `stored`, `duplicate` (already here: the outbox may drop it) or `rejected` with a
reason the volunteer can read (the outbox drops it too and shows it; resending cannot help).
A result that fails for a passing reason (the database busy) is answered `retry` and stays in
the outbox.

Scope: the volunteer may only record results on the people of the turfs assigned to them: the
caller passes the (turf, person) pairs of the batch that are in the volunteer's turfs (read
through the turfs' selectors); the ledger (`contact_attempt_record`) checks the person against
`people_visible_to` again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.people.selectors import DOOR_RESULTS, PeopleInScope, people_in_scope
from maillage.people.services import ContactAttempt, contact_attempt_record
from maillage.surveys.selectors import access_script, script_for_caller
from maillage.surveys.services import answers_record

logger = logging.getLogger(__name__)

MAX_BATCH = 50
MAX_TEXT = 2000
# A phone's clock may run a little ahead; further than this it is wrong, and "now" is used.
CLOCK_SKEW = timedelta(minutes=10)
# Results older than this are refused: the turf's download would have expired long before.
MAX_AGE = timedelta(days=60)
SOURCE_KIND = "turf"

STORED = "stored"
DUPLICATE = "duplicate"
REJECTED = "rejected"
RETRY = "retry"


class SyncBatchError(ApplicationError):
    """The batch as a whole cannot be read (not a list, too long)."""


class SyncResultError(ApplicationError):
    """One result cannot be stored; its message goes back to the volunteer."""


@dataclass(frozen=True)
class SyncAnswer:
    uuid: str
    status: str
    reason: str = ""
    interaction_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"uuid": self.uuid, "status": self.status}
        if self.reason:
            answer["reason"] = self.reason
        return answer


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key) or ""
    if not isinstance(value, str):
        raise SyncResultError(_("Champ illisible : %(field)s.") % {"field": key})
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise SyncResultError(_("Texte trop long : %(field)s.") % {"field": key})
    return value


def _int_or_none(item: Mapping[str, Any], key: str) -> int | None:
    value = item.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise SyncResultError(_("Champ illisible : %(field)s.") % {"field": key})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SyncResultError(_("Champ illisible : %(field)s.") % {"field": key}) from None


def _bool_or_none(item: Mapping[str, Any], key: str) -> bool | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, bool):
        raise SyncResultError(_("Champ illisible : %(field)s.") % {"field": key})
    return value


def _occurred_at(item: Mapping[str, Any], now: datetime) -> datetime:
    raw = item.get("occurred_at")
    when = parse_datetime(raw) if isinstance(raw, str) else None
    if when is None:
        raise SyncResultError(_("Date du résultat illisible."))
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > now + CLOCK_SKEW:
        return now
    if when < now - MAX_AGE:
        raise SyncResultError(_("Résultat trop ancien pour être enregistré."))
    return when


def _answers(item: Mapping[str, Any]) -> dict[int, str | int]:
    raw = item.get("answers") or {}
    if not isinstance(raw, dict):
        raise SyncResultError(_("Réponses au questionnaire illisibles."))
    answers: dict[int, str | int] = {}
    for key, value in raw.items():
        try:
            question_id = int(key)
        except (TypeError, ValueError):
            raise SyncResultError(_("Réponses au questionnaire illisibles.")) from None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SyncResultError(_("Réponses au questionnaire illisibles."))
        if isinstance(value, str):
            value = value.strip()[:MAX_TEXT]
            if not value:
                continue
        answers[question_id] = value
    return answers


def _attempt(
    item: Mapping[str, Any], *, client_uuid: uuid.UUID, turf_id: int, now: datetime
) -> ContactAttempt:
    result = item.get("result")
    if result not in DOOR_RESULTS:
        raise SyncResultError(_("Résultat de porte inconnu."))
    person_id = _int_or_none(item, "person")
    if person_id is None:
        raise SyncResultError(_("Personne manquante."))
    new_email = _text(item, "new_email")
    new_phone = _text(item, "new_phone")
    email_consent = _bool_or_none(item, "email_consent")
    phone_consent = _bool_or_none(item, "phone_consent")
    wording = _text(item, "consent_wording")
    if (email_consent or phone_consent) and not wording:
        # Consent is only worth what the person was told: no wording, no consent.
        raise SyncResultError(_("Consentement sans le texte présenté à la personne."))
    return ContactAttempt(
        person_id=person_id,
        channel="door",
        result=str(result),
        client_uuid=client_uuid,
        occurred_at=_occurred_at(item, now),
        support_level=_int_or_none(item, "support_level"),
        note=_text(item, "note"),
        question=_text(item, "question"),
        source_kind=SOURCE_KIND,
        source_id=turf_id,
        new_email=new_email,
        email_consent=email_consent if new_email else None,
        new_phone=new_phone,
        phone_consent=phone_consent if new_phone else None,
        consent_wording=wording if (new_email or new_phone) else "",
    )


def sync_batch(body: Any) -> list[Any]:
    """The results of a posted body, bounded; SyncBatchError when it is not a batch."""
    items = body.get("results") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise SyncBatchError(_("Envoi illisible."))
    if len(items) > MAX_BATCH:
        raise SyncBatchError(
            _("Trop de résultats dans un envoi (%(max)s au plus).") % {"max": MAX_BATCH}
        )
    return items


def batch_pairs(items: Sequence[Any]) -> tuple[set[int], set[int]]:
    """The turf ids and person ids a batch names (to check them in two queries)."""
    turfs: set[int] = set()
    people: set[int] = set()
    for item in items:
        if isinstance(item, dict):
            if isinstance(item.get("turf"), int):
                turfs.add(item["turf"])
            if isinstance(item.get("person"), int):
                people.add(item["person"])
    return turfs, people


def door_results_sync(
    *,
    actor: User,
    items: Sequence[Any],
    turf_ids: set[int],
    members: set[tuple[int, int]],
) -> list[SyncAnswer]:
    """Store a batch of door results from the doorstep app; one answer per result, in order.

    `turf_ids` are the batch's turfs the actor may work, `members` the batch's (turf, person)
    pairs that are in those turfs. Each result has its own savepoint: one refused result never
    loses the others. Should the batch's commit itself fail, the view answers 500 and the outbox
    sends the same batch again (nothing of it was kept)."""
    now = timezone.now()
    scripts: dict[int, Any] = {}
    answers: list[SyncAnswer] = []
    # The batch's people, read once through people_visible_to (one query for the batch, not
    # one per result); the ledger takes each person from it.
    scope = people_in_scope(user=actor, person_ids={person for _, person in members})
    # One commit for the batch (each result in its own savepoint): a phone's batch costs one
    # write transaction, not one per result.
    with transaction.atomic():
        for item in items:
            answers.append(
                _one(
                    actor=actor,
                    item=item,
                    now=now,
                    turf_ids=turf_ids,
                    members=members,
                    scripts=scripts,
                    scope=scope,
                )
            )
    return answers


def _one(
    *,
    actor: User,
    item: Any,
    now: datetime,
    turf_ids: set[int],
    members: set[tuple[int, int]],
    scripts: dict[int, Any],
    scope: PeopleInScope,
) -> SyncAnswer:
    raw_uuid = item.get("uuid") if isinstance(item, dict) else None
    label = raw_uuid if isinstance(raw_uuid, str) else ""
    try:
        if not isinstance(item, dict):
            raise SyncResultError(_("Résultat illisible."))
        try:
            client_uuid = uuid.UUID(str(raw_uuid))
        except ValueError:
            raise SyncResultError(_("Identifiant de résultat invalide.")) from None
        turf_id = _int_or_none(item, "turf")
        if turf_id is None or turf_id not in turf_ids:
            raise SyncResultError(_("Ce secteur ne vous est pas attribué."))
        attempt = _attempt(item, client_uuid=client_uuid, turf_id=turf_id, now=now)
        if (turf_id, attempt.person_id) not in members:
            raise SyncResultError(_("Cette personne n'est pas dans ce secteur."))
        return _store(
            actor=actor, attempt=attempt, item=item, label=label, scripts=scripts, scope=scope
        )
    except ApplicationError as error:
        return SyncAnswer(uuid=label, status=REJECTED, reason=error.message)
    except DatabaseError:
        logger.exception("door result %s not stored", label)
        return SyncAnswer(uuid=label, status=RETRY, reason=_("Réessayez dans un instant."))


def _store(
    *,
    actor: User,
    attempt: ContactAttempt,
    item: Mapping[str, Any],
    label: str,
    scripts: dict[int, Any],
    scope: PeopleInScope,
) -> SyncAnswer:
    given = _answers(item)
    script_id = _int_or_none(item, "script") if given else None
    with transaction.atomic():
        outcome = contact_attempt_record(actor=actor, attempt=attempt, scope=scope)
        if not outcome.created:
            return SyncAnswer(uuid=label, status=DUPLICATE, interaction_id=outcome.interaction.pk)
        if script_id is not None:
            try:
                with transaction.atomic():
                    if script_id not in scripts:
                        access_script(user=actor, script_id=script_id)  # active, theirs to read
                        scripts[script_id] = script_for_caller(script_id=script_id)
                    answers_record(
                        interaction=outcome.interaction, script=scripts[script_id], answers=given
                    )
            except ApplicationError as error:
                # The door result is kept (never lost over a questionnaire: the script may
                # have changed since the turf was downloaded); the volunteer is told why the
                # answers were not.
                return SyncAnswer(
                    uuid=label,
                    status=STORED,
                    reason=_("Réponses au questionnaire non enregistrées : %(error)s")
                    % {"error": error.message},
                    interaction_id=outcome.interaction.pk,
                )
    return SyncAnswer(uuid=label, status=STORED, interaction_id=outcome.interaction.pk)
