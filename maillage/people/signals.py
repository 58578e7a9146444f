"""What the people app tells the apps built on it.

`person_merging(keep=…, merge=…)` is sent by `people.services.dedupe.person_merge`, inside its
transaction, after the people app has moved its own rows and before `merge` is deleted. The
feature apps that point at people (turf memberships, call queues, deliveries) move their rows
to `keep` in their receivers, so deleting `merge` takes none of them with it: without this a
merge silently dropped the merged person's place in every turf, call queue and campaign. A
receiver raises to refuse the merge (the whole transaction rolls back).

`person_erasing(person=…)` is sent by `people.services.gdpr.person_erase` just before the
person is deleted: the rows that point at them go with the deletion, and a receiver fixes
what it counts of them (a turf's number of people)."""

from __future__ import annotations

from django.dispatch import Signal

person_merging = Signal()
person_erasing = Signal()
