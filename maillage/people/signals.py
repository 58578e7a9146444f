"""What the people app tells the apps built on it.

`person_merging(keep=…, merge=…)` is sent by `people.services.dedupe.person_merge`, inside its
transaction, after the people app has moved its own rows and before `merge` is deleted. The
feature apps that point at people (turf memberships, call queues, deliveries) move their rows
to `keep` in their receivers, so deleting `merge` takes none of them with it: without this a
merge silently dropped the merged person's place in every turf, call queue and campaign. A
receiver raises to refuse the merge (the whole transaction rolls back)."""

from __future__ import annotations

from django.dispatch import Signal

person_merging = Signal()
