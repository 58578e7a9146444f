"""The phone bank opens to a caller exactly the person they currently hold (a claim), nothing
else: from the claims of the user (index `queue_claimed_by_idx`) to people by primary key."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from maillage.accounts.models import User
from maillage.people.assignment_sources import assignment_source
from maillage.phonebank.models import QueueEntry


@assignment_source("phonebank_claims")
def claimed_people(user: User) -> QuerySet[Any]:
    return QueueEntry.objects.filter(claimed_by=user.pk, state=QueueEntry.State.CLAIMED).values(
        "person_id"
    )
