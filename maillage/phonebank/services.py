"""Every write of the phone bank: campaigns, the queue (built set-based from a segment), atomic
claims, call results (through people's contact-attempt ledger) and call-backs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import Team, User
from maillage.core.columns import max_length
from maillage.core.dialect import dialect
from maillage.core.errors import ApplicationError, NotFound, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role, has_role
from maillage.core.services import audit_log_record
from maillage.people.selectors import followup_q, over_contact_cap_q
from maillage.people.selectors.people import USABLE_STATUSES, reachable_q
from maillage.people.selectors.segments import access_segment, segment_queryset
from maillage.people.services import ContactAttempt, contact_attempt_record
from maillage.people.services.persons import phone_mark_invalid
from maillage.people.services.suppression import is_suppressed
from maillage.phonebank.hours import parse_hours, within_calling_hours
from maillage.phonebank.models import Call, CallCampaign, QueueEntry
from maillage.surveys.selectors import script_for_caller
from maillage.surveys.services import answers_record

State = QueueEntry.State
Status = CallCampaign.Status

# Results that end a person's time in the queue; the others (no answer, busy, voicemail) come
# back after `retry_hours` until `max_attempts`.
FINAL_RESULTS = frozenset({"talked", "wrong_number", "do_not_contact", "refused"})
RETRY_RESULTS = frozenset({"no_answer", "busy", "left_message"})
CALL_BACK = "call_back"
# A call-back waits this long for the caller who scheduled it before anyone may take it.
CALLBACK_GRACE = timedelta(minutes=30)


# Campaigns ---------------------------------------------------------------------------------------
def _check_lead(actor: User) -> None:
    if not has_role(actor, Role.STAFF):
        raise PermissionDenied(_("Seule l'équipe de campagne gère les campagnes d'appels."))


def _validate(*, name: str, weekday_hours: str, saturday_hours: str, max_attempts: int) -> None:
    if not name.strip():
        raise ApplicationError(_("Donnez un nom à la campagne."))
    parse_hours(weekday_hours)
    parse_hours(saturday_hours)
    if not 1 <= max_attempts <= 20:
        raise ApplicationError(_("Le nombre de tentatives va de 1 à 20."))


def call_campaign_create(
    *,
    actor: User,
    name: str,
    segment_id: int,
    script_id: int | None = None,
    description: str = "",
    max_attempts: int = 3,
    weekday_hours: str = "10:00-13:00,14:00-20:00",
    saturday_hours: str = "",
    callers: Sequence[User] = (),
    caller_teams: Sequence[Team] = (),
) -> CallCampaign:
    _check_lead(actor)
    _validate(
        name=name,
        weekday_hours=weekday_hours,
        saturday_hours=saturday_hours,
        max_attempts=max_attempts,
    )
    segment = access_segment(user=actor, segment_id=segment_id)
    with transaction.atomic():
        campaign = CallCampaign.objects.create(
            name=name.strip()[: max_length(CallCampaign, "name")],
            description=description,
            segment=segment,
            script_id=script_id,
            max_attempts=max_attempts,
            weekday_hours=weekday_hours,
            saturday_hours=saturday_hours,
            created_by=actor,
        )
        campaign.callers.set(callers)
        campaign.caller_teams.set(caller_teams)
        audit_log_record(actor=actor, action=AuditLogEntry.Action.CREATE, target=campaign)
    return campaign


def _eligible_people(*, actor: User, campaign: CallCampaign) -> QuerySet[Any]:
    """The segment's people one may phone now: phone consent and a usable number (so nobody on
    the do-not-call ledger: opting out withdraws consent), under the contact cap, and not those
    the follow-up rules leave alone (against: no further door or phone contact)."""
    segment = campaign.segment
    return (
        segment_queryset(user=actor, definition=segment.definition, segment_id=segment.pk)
        .filter(reachable_q("phone"))
        .exclude(over_contact_cap_q())
        .exclude(followup_q("no_further_contact"))
    )


def call_queue_build(*, actor: User, campaign: CallCampaign, now: datetime | None = None) -> int:
    """Add the segment's eligible people who are not in the queue yet (one INSERT … SELECT),
    and close waiting entries whose person is no longer eligible. Returns how many were added."""
    _check_lead(actor)
    now = now or timezone.now()
    eligible = _eligible_people(actor=actor, campaign=campaign)
    usable = Q(phones__status__in=USABLE_STATUSES)
    rows = (
        eligible.order_by()
        .annotate(
            pid=F("pk"),
            primary_phone=Min("phones__number", filter=usable & Q(phones__is_primary=True)),
            any_phone=Min("phones__number", filter=usable),
        )
        .values("pid", "primary_phone", "any_phone")
    )
    sql, params = rows.query.sql_with_params()
    table = QueueEntry._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {table} (campaign_id, person_id, phone, state, attempts,
                available_at, last_result, done_reason)
                SELECT %s, e.pid, COALESCE(e.primary_phone, e.any_phone), %s, 0, %s, '', ''
                FROM ({sql}) e
                WHERE COALESCE(e.primary_phone, e.any_phone) IS NOT NULL AND NOT EXISTS
                (SELECT 1 FROM {table} q WHERE q.campaign_id = %s AND q.person_id = e.pid)""",  # noqa: S608 - table name from the model; values are parameters
                dialect().params([campaign.pk, State.WAITING, now, *params, campaign.pk]),
            )
            added = max(cursor.rowcount, 0)
        closed = (
            QueueEntry.objects.filter(campaign=campaign, state=State.WAITING)
            .exclude(person_id__in=eligible.values("pk"))
            .update(state=State.DONE, done_reason="ineligible")
        )
        CallCampaign.objects.filter(pk=campaign.pk).update(queue_built_at=now)
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=campaign,
            changes={"queue": {"added": added, "closed": closed}},
        )
    campaign.queue_built_at = now
    return added


def call_campaign_set_status(*, actor: User, campaign: CallCampaign, status: str) -> CallCampaign:
    """Start (builds the queue the first time), pause, resume or finish a campaign."""
    _check_lead(actor)
    if status not in Status.values:
        raise ApplicationError(_("État de campagne inconnu."))
    if status == Status.RUNNING and campaign.queue_built_at is None:
        call_queue_build(actor=actor, campaign=campaign)
    old = campaign.status
    campaign.status = status
    campaign.save(update_fields=["status", "updated_at"])
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=campaign,
        changes={"status": [old, status]},
    )
    return campaign


# Claims ------------------------------------------------------------------------------------------
def caller_allowed(*, user: User, campaign: CallCampaign) -> bool:
    if has_role(user, Role.STAFF):
        return True
    if not has_role(user, Role.VOLUNTEER):
        return False
    if campaign.callers.filter(pk=user.pk).exists():
        return True
    return campaign.caller_teams.filter(members=user.pk).exists()


def held_entry(*, caller: User, campaign: CallCampaign) -> QueueEntry | None:
    return (
        QueueEntry.objects.filter(campaign=campaign, claimed_by=caller, state=State.CLAIMED)
        .order_by("-claimed_at")
        .first()
    )


def call_claims_expire(*, campaign: CallCampaign, now: datetime | None = None) -> int:
    """Claims past their time go back to the queue (a conditional UPDATE: a result that lands
    at the same moment either finds its claim or finds it gone, never half of each)."""
    now = now or timezone.now()
    expired = QueueEntry.objects.filter(
        campaign=campaign, state=State.CLAIMED, claimed_until__lt=now
    )
    # Read first: an UPDATE that changes nothing still takes SQLite's write lock, on every claim.
    if not expired.exists():
        return 0
    return expired.update(state=State.WAITING, claimed_by=None, claimed_at=None, claimed_until=None)


def _take(
    *, campaign: CallCampaign, caller: User, now: datetime, where: str, params: list[Any]
) -> int | None:
    until = now + timedelta(minutes=campaign.claim_minutes)
    return dialect().claim_one(
        QueueEntry._meta.db_table,
        where=f"campaign_id = %s AND state = %s AND available_at <= %s AND ({where})",
        where_params=[campaign.pk, State.WAITING, now, *params],
        order="available_at, id",
        assignments="state = %s, claimed_by_id = %s, claimed_at = %s, claimed_until = %s",
        assignment_params=[State.CLAIMED, caller.pk, now, until],
    )


def call_claim_next(
    *, caller: User, campaign: CallCampaign, now: datetime | None = None
) -> QueueEntry | None:
    """The caller's next person, taken atomically: the person they already hold, else their own
    due call-backs, else the next waiting person (call-backs of others once their grace is
    over). None when the queue is empty for now."""
    now = now or timezone.now()
    if not caller_allowed(user=caller, campaign=campaign):
        raise PermissionDenied(_("Vous n'êtes pas appelant·e sur cette campagne."))
    if campaign.status != Status.RUNNING:
        raise ApplicationError(_("Cette campagne n'est pas en cours : pas d'appel pour l'instant."))
    if not within_calling_hours(
        now, weekday_hours=campaign.weekday_hours, saturday_hours=campaign.saturday_hours
    ):
        raise ApplicationError(_("Nous sommes en dehors des heures d'appel de la campagne."))
    held = held_entry(caller=caller, campaign=campaign)
    if held is not None:
        return held
    call_claims_expire(campaign=campaign, now=now)
    for _round in range(20):  # each round skips one person who may no longer be called
        entry_id = _take(
            campaign=campaign,
            caller=caller,
            now=now,
            where="callback_user_id = %s",
            params=[caller.pk],
        ) or _take(
            campaign=campaign,
            caller=caller,
            now=now,
            where="callback_user_id IS NULL OR available_at <= %s",
            params=[now - CALLBACK_GRACE],
        )
        if entry_id is None:
            return None
        entry = QueueEntry.objects.get(pk=entry_id)
        if not is_suppressed(kind="phone", value=entry.phone, channel_scope="phone"):
            return entry
        QueueEntry.objects.filter(pk=entry.pk, claimed_by=caller).update(
            state=State.DONE, done_reason="suppressed", claimed_by=None, claimed_until=None
        )
    return None


def call_release(*, caller: User, entry: QueueEntry) -> bool:
    """Give a held person back to the queue untouched (the caller stops for the evening)."""
    return bool(
        QueueEntry.objects.filter(pk=entry.pk, claimed_by=caller, state=State.CLAIMED).update(
            state=State.WAITING, claimed_by=None, claimed_at=None, claimed_until=None
        )
    )


# Results -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallResult:
    result: str
    client_uuid: uuid.UUID
    support_level: int | None = None
    note: str = ""
    question: str = ""
    callback_at: datetime | None = None
    new_email: str = ""
    email_consent: bool | None = None
    new_phone: str = ""
    phone_consent: bool | None = None
    consent_wording: str = ""
    answers: Mapping[int, str | int] | None = None


def call_result_record(
    *, caller: User, entry_id: int, outcome: CallResult, now: datetime | None = None
) -> Call:
    """Record what a call gave: one interaction in people's ledger (which applies the follow-up
    rules, the support level, consent and do-not-call), the script's answers, the Call row for
    the stats, and the queue entry's next state. Idempotent on `client_uuid`."""
    now = now or timezone.now()
    existing = Call.objects.filter(client_uuid=outcome.client_uuid).first()
    if existing is not None:
        if existing.caller_id != caller.pk:
            raise ApplicationError(_("Cet identifiant d'envoi a déjà servi."))
        return existing
    entry = (
        QueueEntry.objects.select_related("campaign")
        .filter(pk=entry_id, claimed_by=caller, state=State.CLAIMED)
        .first()
    )
    if entry is None:
        raise NotFound(
            _("Cet appel ne vous est plus attribué (délai dépassé) : reprenez l'appel suivant.")
        )
    campaign = entry.campaign
    if outcome.result == CALL_BACK and (outcome.callback_at is None or outcome.callback_at <= now):
        raise ApplicationError(_("Indiquez quand rappeler (une date à venir)."))
    with transaction.atomic():
        recorded = contact_attempt_record(
            actor=caller,
            attempt=ContactAttempt(
                person_id=entry.person_id,
                channel="phone",
                result=outcome.result,
                client_uuid=outcome.client_uuid,
                occurred_at=now,
                support_level=outcome.support_level,
                note=outcome.note,
                question=outcome.question,
                source_kind="call_campaign",
                source_id=campaign.pk,
                new_email=outcome.new_email,
                email_consent=outcome.email_consent,
                new_phone=outcome.new_phone,
                phone_consent=outcome.phone_consent,
                consent_wording=outcome.consent_wording,
            ),
        )
        if outcome.answers and campaign.script_id:
            _record_answers(
                interaction=recorded.interaction,
                script_id=campaign.script_id,
                answers=outcome.answers,
            )
        call = (
            Call.objects.filter(entry=entry, caller=caller, finished_at__isnull=True)
            .order_by("-started_at")
            .first()
        )
        if call is None:  # dialled by hand: the call is recorded with its result
            call = Call.objects.create(
                campaign=campaign,
                entry=entry,
                caller=caller,
                started_at=entry.claimed_at or now,
                client_uuid=outcome.client_uuid,
                finished_at=now,
                result=outcome.result,
                interaction_id=recorded.interaction.pk,
            )
        else:  # placed through the dialer: its row gets the result
            call.client_uuid = outcome.client_uuid
            call.finished_at = now
            call.result = outcome.result
            call.interaction_id = recorded.interaction.pk
            call.save(update_fields=["client_uuid", "finished_at", "result", "interaction_id"])
        if outcome.result == "wrong_number":
            phone_mark_invalid(actor=caller, person=recorded.interaction.person, number=entry.phone)
        _advance(entry=entry, campaign=campaign, caller=caller, outcome=outcome, now=now)
    return call


def _record_answers(*, interaction: Any, script_id: int, answers: Mapping[int, str | int]) -> None:
    answers_record(
        interaction=interaction, script=script_for_caller(script_id=script_id), answers=answers
    )


def _advance(
    *, entry: QueueEntry, campaign: CallCampaign, caller: User, outcome: CallResult, now: datetime
) -> None:
    """The entry's next state, by a conditional UPDATE on the caller's claim."""
    mine = QueueEntry.objects.filter(pk=entry.pk, claimed_by=caller, state=State.CLAIMED)
    release = {"claimed_by": None, "claimed_at": None, "claimed_until": None}
    if outcome.result == CALL_BACK:
        mine.update(
            state=State.WAITING,
            available_at=outcome.callback_at,
            callback_user=caller,
            last_result=outcome.result,
            **release,
        )
    elif outcome.result in RETRY_RESULTS and entry.attempts + 1 < campaign.max_attempts:
        mine.update(
            state=State.WAITING,
            attempts=F("attempts") + 1,
            available_at=now + timedelta(hours=campaign.retry_hours),
            callback_user=None,
            last_result=outcome.result,
            **release,
        )
    else:
        reason = "max_attempts" if outcome.result in RETRY_RESULTS else outcome.result
        mine.update(
            state=State.DONE,
            attempts=F("attempts") + 1,
            last_result=outcome.result,
            done_reason=reason[: max_length(QueueEntry, "done_reason")],
            **release,
        )


def callback_reassign(*, actor: User, entry: QueueEntry, to_user: User | None) -> bool:
    """The lead hands a scheduled call-back to another caller (or to anyone: None)."""
    _check_lead(actor)
    changed = QueueEntry.objects.filter(
        pk=entry.pk, state=State.WAITING, callback_user__isnull=False
    ).update(callback_user=to_user)
    if changed:
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=entry.campaign,
            changes={"callback": {"entry": entry.pk, "to": to_user.pk if to_user else None}},
        )
    return bool(changed)


# Dialing through Asterisk ------------------------------------------------------------------------
def call_dial_start(*, caller: User, entry: QueueEntry, now: datetime | None = None) -> Call:
    """Ask the worker to place the call (the Asterisk dialer): a pending Call row, then the
    task, once the row is committed. A second tap while a dial is pending does nothing."""
    from maillage.phonebank.tasks import call_dial

    now = now or timezone.now()
    if not QueueEntry.objects.filter(pk=entry.pk, claimed_by=caller, state=State.CLAIMED).exists():
        raise NotFound(_("Cet appel ne vous est plus attribué (délai dépassé ou déjà saisi)."))
    pending = Call.objects.filter(
        entry=entry, caller=caller, finished_at__isnull=True, dial_status=Call.DialStatus.PENDING
    ).first()
    if pending is not None:
        return pending
    call = Call.objects.create(
        campaign_id=entry.campaign_id,
        entry=entry,
        caller=caller,
        started_at=now,
        dial_status=Call.DialStatus.PENDING,
    )
    transaction.on_commit(lambda: call_dial.enqueue(call_id=call.pk))
    return call


def call_dial_outcome_record(*, call_id: int, outcome: Any) -> bool:
    """What Asterisk reported (answered, duration, hang-up cause), on a still-pending call."""
    status = outcome.status if outcome.status in Call.DialStatus.values else Call.DialStatus.FAILED
    return bool(
        Call.objects.filter(pk=call_id, dial_status=Call.DialStatus.PENDING).update(
            dial_status=status,
            answered=outcome.answered,
            duration=outcome.duration,
            hangup_cause=outcome.hangup_cause,
            dial_error=(outcome.error or "")[: max_length(Call, "dial_error")],
        )
    )


@transaction.atomic
def queue_places_merge(*, keep_id: int, merge_id: int) -> int:
    """A merge of two people (`people.signals.person_merging`): the merged person's places in
    call queues go to the kept person, with their calls. Where both were queued in one
    campaign, the kept person's entry stays and takes the other's calls and attempts, and is
    done if the other was (the same voter is not called twice). Answers how many moved."""
    kept_campaigns = QueueEntry.objects.filter(person_id=keep_id).values("campaign_id")
    # One entry a campaign the two share: a handful for a person, not one a queued voter.
    for double in QueueEntry.objects.select_for_update().filter(
        person_id=merge_id, campaign_id__in=kept_campaigns
    ):
        kept = QueueEntry.objects.select_for_update().get(
            campaign_id=double.campaign_id, person_id=keep_id
        )
        Call.objects.filter(entry=double).update(entry=kept)
        kept.attempts += double.attempts
        if double.state == QueueEntry.State.DONE and kept.state == QueueEntry.State.WAITING:
            kept.state = QueueEntry.State.DONE
            kept.done_reason, kept.last_result = double.done_reason, double.last_result
        kept.save(update_fields=["attempts", "state", "done_reason", "last_result"])
        double.delete()
    return QueueEntry.objects.filter(person_id=merge_id).update(person_id=keep_id)


def person_merging_received(*, keep: Any, merge: Any, **kwargs: Any) -> None:
    """`people.signals.person_merging`'s receiver (connected in `PhonebankConfig.ready`)."""
    queue_places_merge(keep_id=keep.pk, merge_id=merge.pk)
