"""How a call is placed, behind one interface: `manual` (a `tel:` link the volunteer taps, shown
only while they hold the person: the caller page renders it from the held entry's E.164 number) or `asterisk` (the Manager Interface rings the volunteer's seat,
then the voter; see `ami.py`, run by the `call_dial` task, never in a web worker)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from maillage.accounts.models import User
from maillage.phonebank.dialers.ami import AMISettings
from maillage.phonebank.models import Seat


@dataclass(frozen=True)
class Dialer:
    kind: str  # "manual" or "asterisk"
    seat: Seat | None = None

    @property
    def places_calls(self) -> bool:
        """Whether the server places the call (Asterisk, with a seat) or the volunteer dials."""
        return self.kind == "asterisk" and self.seat is not None


def dialer_for(user: User) -> Dialer:
    if settings.MAILLAGE_DIALER != "asterisk":
        return Dialer(kind="manual")
    return Dialer(kind="asterisk", seat=Seat.objects.filter(user=user).first())


def ami_settings() -> AMISettings:
    return AMISettings(
        host=settings.MAILLAGE_AMI_HOST,
        port=settings.MAILLAGE_AMI_PORT,
        username=settings.MAILLAGE_AMI_USER,
        secret=settings.MAILLAGE_AMI_SECRET,
        context=settings.MAILLAGE_AMI_CONTEXT,
        trunk_prefix=settings.MAILLAGE_AMI_TRUNK_PREFIX,
        caller_id=settings.MAILLAGE_AMI_CALLER_ID,
        ring_timeout=settings.MAILLAGE_AMI_RING_SECONDS,
    )
