"""Writes of saved segments: validated before saving, audit-logged."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.models import Segment
from maillage.people.selectors.segments import segment_definition_validate


@transaction.atomic
def segment_create(
    *, actor: User, name: str, definition: dict[str, Any], description: str = ""
) -> Segment:
    name = name.strip()
    if not name:
        raise ApplicationError(_("Un segment a un nom."))
    segment_definition_validate(definition=definition)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(
                name=name, description=description, definition=definition, created_by=actor
            )
    except IntegrityError:
        raise ApplicationError(
            _("Un segment s'appelle déjà « %(name)s ».") % {"name": name}
        ) from None
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.CREATE,
        target=segment,
        changes={"definition": definition},
    )
    return segment


@transaction.atomic
def segment_update(
    *, actor: User, segment: Segment, name: str, definition: dict[str, Any], description: str = ""
) -> Segment:
    # Validated with its own id on the stack, so a segment that refers to itself is refused.
    segment_definition_validate(definition=definition, segment_id=segment.pk)
    changes = {"definition": [segment.definition, definition], "name": [segment.name, name]}
    segment.name, segment.definition, segment.description = name.strip(), definition, description
    try:
        with transaction.atomic():
            segment.save(update_fields=["name", "definition", "description", "updated_at"])
    except IntegrityError:
        raise ApplicationError(
            _("Un segment s'appelle déjà « %(name)s ».") % {"name": name}
        ) from None
    audit_log_record(
        actor=actor, action=AuditLogEntry.Action.UPDATE, target=segment, changes=changes
    )
    return segment


def segment_export_record(
    *,
    actor: User,
    segment: Segment | None,
    definition: dict[str, Any],
    count: int,
    ip_address: str | None = None,
) -> None:
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.EXPORT,
        target=segment,
        target_type="" if segment else "people.segment",
        changes={"export": "segment_csv", "definition": definition, "rows": count},
        ip_address=ip_address,
    )
