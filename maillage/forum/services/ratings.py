"""Ratings: one per person per item, changeable, never on one's own. Counters move with F()
updates and the item's rank scores are recomputed from its own counters only, so rating an item
costs a handful of single-row statements whatever the size of its theme."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.forum.models import Comment, Contribution, ForumProfile, Rating, Status
from maillage.forum.ranking import ranks
from maillage.forum.services.common import pages_changed, profile_get, require_member
from maillage.forum.services.reputation import profile_refresh


def rating_set(*, user: User, item: Contribution | Comment, value: int, label: str = "") -> Rating:
    require_member(user=user)
    if value not in (1, -1):
        raise ApplicationError(_("Une évaluation est « pour » ou « contre »."))
    if label not in Rating.Label.values:
        raise ApplicationError(_("Étiquette inconnue."))
    if item.author_id == user.pk:
        raise PermissionDenied(_("Vous ne pouvez pas évaluer votre propre message."))
    if item.status != Status.VISIBLE:
        raise PermissionDenied(_("Ce message ne peut plus être évalué."))
    model = type(item)
    key = "contribution" if model is Contribution else "comment"
    with transaction.atomic():
        existing = Rating.objects.select_for_update().filter(user=user, **{key: item}).first()
        old = existing.value if existing else 0
        if existing is None:
            rating = Rating.objects.create(user=user, value=value, label=label, **{key: item})
            ForumProfile.objects.filter(user=user).update(ratings_given=F("ratings_given") + 1)
        else:
            rating = existing
            if existing.value == value and existing.label == label:
                return rating
            rating.value, rating.label = value, label
            rating.save(update_fields=["value", "label", "updated_at"])
        if old != value:
            d_up = (value == 1) - (old == 1)
            d_down = (value == -1) - (old == -1)
            model.objects.filter(pk=item.pk).update(
                up=F("up") + d_up,
                down=F("down") + d_down,
                rating_count=F("rating_count") + (0 if existing else 1),
            )
            # Our UPDATE holds the row's lock until commit: these counters are current.
            up, down, created_at = model.objects.filter(pk=item.pk).values_list(
                "up", "down", "created_at"
            )[0]
            model.objects.filter(pk=item.pk).update(**ranks(up, down, created_at))
            item.up, item.down = up, down
            author_profile = profile_get(user=item.author)
            ForumProfile.objects.filter(pk=author_profile.pk).update(
                up_received=F("up_received") + d_up, down_received=F("down_received") + d_down
            )
            profile_refresh(profile=author_profile)
            if isinstance(item, Contribution):
                pages_changed(theme_id=item.theme_id, contribution_ids=[item.pk])
            elif item.contribution_id:
                pages_changed(contribution_ids=[item.contribution_id])
    return rating
