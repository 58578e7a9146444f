"""The staff questions inbox and the conflicts list: attempts that wait for a staff member."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.accounts.models import User
from maillage.core.errors import NotFound
from maillage.core.roles import Role, role_of
from maillage.people.models import Interaction

QuestionStatus = Interaction.QuestionStatus

# How a (source_kind, source_id) reference reads; the feature apps' kinds.
SOURCE_KIND_LABELS = {
    "turf": gettext_lazy("secteur"),
    "call_campaign": gettext_lazy("campagne d'appels"),
    "email_campaign": gettext_lazy("campagne e-mail"),
    "sms_campaign": gettext_lazy("campagne SMS"),
}


def source_label(kind: str, source_id: int | None) -> str:
    if not kind:
        return ""
    label = SOURCE_KIND_LABELS.get(kind, kind)
    return f"{label} #{source_id}" if source_id is not None else str(label)


def _staff_interactions(user: User) -> QuerySet[Interaction]:
    if role_of(user) < Role.STAFF:
        return Interaction.objects.none()
    return Interaction.objects.select_related("person", "actor", "question_answered_by")


def question_inbox(*, user: User, status: str = QuestionStatus.OPEN) -> QuerySet[Interaction]:
    """Questions asked at the door or on the phone, newest first (the partial index on
    question_status). `status` is "open" or "answered"; anything else means both."""
    items = _staff_interactions(user).exclude(question_status="")
    if status in (QuestionStatus.OPEN, QuestionStatus.ANSWERED):
        items = items.filter(question_status=status)
    return items.order_by("-occurred_at", "-id")


def access_question(*, user: User, interaction_id: int | str) -> Interaction:
    try:
        pk = int(interaction_id)
    except (TypeError, ValueError):
        raise NotFound(_("Cette question n'existe pas.")) from None
    item = _staff_interactions(user).exclude(question_status="").filter(pk=pk).first()
    if item is None:
        raise NotFound(_("Cette question n'existe pas."))
    return item


def conflict_list(*, user: User) -> QuerySet[Interaction]:
    """Attempts flagged for review (the older of two that disagree), newest first."""
    return _staff_interactions(user).filter(needs_review=True).order_by("-occurred_at", "-id")
