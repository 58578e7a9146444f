"""Background work of the phone bank: the Asterisk conversation of one call, in the worker
(the web request that asked for it has long returned)."""

from __future__ import annotations

from django_tasks import task

from maillage.phonebank.dialers import ami_settings
from maillage.phonebank.dialers.ami import CallOutcome, originate_call, run_to_completion
from maillage.phonebank.models import Call, Seat
from maillage.phonebank.services import call_dial_outcome_record


def call_dial_run(*, call_id: int) -> str:
    """Originate the call and store what Asterisk reported. Any failure, even a crash of the
    conversation, is stored as a failed dial: the call is never left "in progress"."""
    call = Call.objects.select_related("entry").filter(pk=call_id).first()
    if call is None or call.dial_status != Call.DialStatus.PENDING:
        return "skipped"  # a retry of a dial already done (tasks are idempotent)
    seat = Seat.objects.filter(user_id=call.caller_id).first() if call.caller_id else None
    if seat is None:
        outcome = CallOutcome(status="failed", error="no seat for this caller")
    else:
        try:
            outcome = run_to_completion(
                originate_call(
                    ami_settings(),
                    seat_channel=seat.channel,
                    number=call.entry.phone,
                    reference=str(call.pk),
                )
            )
        except Exception as error:  # noqa: BLE001 - whatever broke, the call must end as failed
            outcome = CallOutcome(status="failed", error=f"{error.__class__.__name__}: {error}")
    call_dial_outcome_record(call_id=call.pk, outcome=outcome)
    return outcome.status


@task(queue_name="default")
def call_dial(call_id: int) -> str:
    return call_dial_run(call_id=call_id)
