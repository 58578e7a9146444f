"""Moderation: weighted flags and automatic hiding, moderators' decisions (hide, restore, edit)
written to the public log, bans with durations, and appeals decided by another moderator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.services import audit_log_record
from maillage.forum.levels import conf
from maillage.forum.models import (
    Appeal,
    CharterClause,
    Comment,
    Contribution,
    Flag,
    ForumProfile,
    Level,
    ModerationAction,
    Status,
    Theme,
)
from maillage.forum.services.antispam import akismet_feedback
from maillage.forum.services.common import (
    STAFF_LEVEL,
    SYSTEM_LEVEL,
    is_banned,
    is_staff,
    notify,
    pages_changed,
    profile_get,
    require_member,
)

Item = Contribution | Comment
MODERATOR_BAN_MAX_DAYS = 7
# The durations the ban form offers, in days (None: without limit).
MODERATOR_BAN_DAYS: tuple[int, ...] = (1, 3, 7)
STAFF_BAN_DAYS: tuple[int | None, ...] = (1, 3, 7, 30, 365, None)


def _theme_id(item: Item) -> int | None:
    if isinstance(item, Contribution):
        return item.theme_id
    if item.contribution_id:
        return Contribution.objects.filter(pk=item.contribution_id).values_list(
            "theme_id", flat=True
        )[0]
    return None  # comments on programme paragraphs: staff moderate them


def _item_link(item: Item) -> str:
    if isinstance(item, Contribution):
        return reverse("forum:contribution", args=[item.pk])
    if item.contribution_id:
        return reverse("forum:contribution", args=[item.contribution_id]) + f"#comment-{item.pk}"
    return reverse("forum:log")


def can_moderate_theme(*, user: User, theme_id: int | None) -> bool:
    """Staff; the theme's appointed moderators; members at moderator level or above (privilege
    not revoked) who are active in the theme (a few visible contributions or comments)."""
    if not user.is_authenticated:
        return False
    if is_staff(user):
        return True
    if theme_id is None:
        return False
    profile = profile_get(user=user)
    if profile.moderation_revoked:
        return False
    if Theme.moderators.through.objects.filter(theme_id=theme_id, user_id=user.pk).exists():
        return True
    if profile.level < Level.MODERATOR:
        return False
    posts = (
        Contribution.objects.filter(theme_id=theme_id, author=user, status=Status.VISIBLE).count()
        + Comment.objects.filter(
            contribution__theme_id=theme_id, author=user, status=Status.VISIBLE
        ).count()
    )
    return posts >= conf("moderator_theme_posts")


def _actor_level(actor: User | None) -> int:
    if actor is None:
        return SYSTEM_LEVEL
    if is_staff(actor):
        return STAFF_LEVEL
    return int(profile_get(user=actor).level)


def record_action(
    *,
    kind: str,
    actor: User | None,
    item: Contribution | Comment | None = None,
    target_user: User | None = None,
    clause: CharterClause | None = None,
    note: str = "",
) -> ModerationAction:
    """One line of the public log, one audit row, and the author told what and why."""
    contribution = item if isinstance(item, Contribution) else None
    comment = item if isinstance(item, Comment) else None
    if target_user is None and item is not None:
        target_user = item.author
    actor_name = ""
    if actor is not None:
        profile = profile_get(user=actor)
        actor_name = profile.display_name if profile.show_name_in_log else ""
    action = ModerationAction.objects.create(
        kind=kind,
        contribution=contribution,
        comment=comment,
        theme_id=_theme_id(item) if item is not None else None,
        target_user=target_user,
        clause=clause,
        note=note.strip()[: max_length(ModerationAction, "note")],
        actor=actor,
        actor_level=_actor_level(actor),
        actor_name=actor_name,
    )
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=action,
        target_label=str(item or target_user or ""),
        changes={"kind": kind, "clause": clause.number if clause else None, "note": note},
    )
    if target_user is not None:
        what = ModerationAction.Kind(kind).label
        lines = [
            _("Action de modération sur votre participation : %(what)s.") % {"what": what},
        ]
        if clause is not None:
            lines.append(
                _("Article %(number)s de la charte : %(title)s")
                % {"number": clause.number, "title": clause.title}
            )
        if note:
            lines.append(_("Note : %(note)s") % {"note": note})
        if kind != ModerationAction.Kind.RESTORE and kind != ModerationAction.Kind.UNBAN:
            lines.append(_("Vous pouvez faire appel une fois ; un autre modérateur en décidera."))
        notify(
            user=target_user,
            subject=_("Forum : %(what)s") % {"what": what},
            lines=lines,
            link=reverse("forum:appeal", args=[action.pk]),
        )
    return action


def _settle_flags(*, item: Item, upheld: bool) -> None:
    """A moderator's decision settles the pending flags: upheld when the item is hidden,
    rejected when restored; each flagger's accuracy moves accordingly (set-based)."""
    key = "contribution" if isinstance(item, Contribution) else "comment"
    pending = Flag.objects.filter(upheld=None, **{key: item})
    flagger_ids = list(pending.values_list("user_id", flat=True))
    if not flagger_ids:
        return
    pending.update(upheld=upheld)
    field = "flags_upheld" if upheld else "flags_rejected"
    ForumProfile.objects.filter(user_id__in=flagger_ids).update(**{field: F(field) + 1})


def flag_create(*, user: User, item: Item, clause: CharterClause, note: str = "") -> Flag:
    """A flag citing a charter clause. Members from rater level flag; each flag spends one
    moderation point unless the member moderates the theme. Its weight is the level's weight
    times the flagger's past accuracy; past `auto_hide_score` the item is hidden pending review."""
    profile = require_member(user=user)
    if profile.level < Level.RATER and not is_staff(user):
        raise PermissionDenied(_("Les signalements sont ouverts à partir du niveau évaluateur."))
    if item.author_id == user.pk:
        raise PermissionDenied(_("Vous ne pouvez pas signaler votre propre message."))
    if item.status != Status.VISIBLE:
        raise ApplicationError(_("Ce message n'est plus visible."))
    key = "contribution" if isinstance(item, Contribution) else "comment"
    if Flag.objects.filter(user=user, **{key: item}).exists():
        raise ApplicationError(_("Vous avez déjà signalé ce message."))
    theme_id = _theme_id(item)
    weight = conf("flag_weights").get(profile.level, 0.0) * profile.flag_factor
    if is_staff(user):
        weight = float(conf("auto_hide_score"))
    with transaction.atomic():
        if not is_staff(user) and not can_moderate_theme(user=user, theme_id=theme_id):
            spent = ForumProfile.objects.filter(pk=profile.pk, moderation_points__gt=0).update(
                moderation_points=F("moderation_points") - 1
            )
            if not spent:
                raise PermissionDenied(_("Vous n'avez plus de points de modération aujourd'hui."))
        flag = Flag.objects.create(
            user=user,
            clause=clause,
            note=note.strip()[: max_length(Flag, "note")],
            weight=weight,
            **{key: item},
        )
        model = type(item)
        model.objects.filter(pk=item.pk).update(
            flag_score=F("flag_score") + weight, pending_flags=F("pending_flags") + 1
        )
        score, status = model.objects.filter(pk=item.pk).values_list("flag_score", "status")[0]
        if status == Status.VISIBLE and score >= conf("auto_hide_score"):
            _set_status(item=item, status=Status.HIDDEN)
            record_action(
                kind=ModerationAction.Kind.AUTO_HIDE,
                actor=None,
                clause=clause,
                note=_("Masqué en attendant un modérateur (signalements)."),
                item=item,
            )
    return flag


def _set_status(*, item: Item, status: str) -> None:
    model = type(item)
    old = item.status
    model.objects.filter(pk=item.pk).update(status=status)
    item.status = status
    if isinstance(item, Contribution):
        pages_changed(theme_id=item.theme_id, contribution_ids=[item.pk])
    elif item.contribution_id:
        pages_changed(contribution_ids=[item.contribution_id])
    if isinstance(item, Contribution) and old != status:
        delta = 1 if status == Status.VISIBLE else -1 if old == Status.VISIBLE else 0
        if delta:
            Theme.objects.filter(pk=item.theme_id).update(
                contribution_count=F("contribution_count") + delta
            )


def moderation_decide(
    *,
    actor: User,
    items: Sequence[Item],
    kind: str,
    clause: CharterClause,
    note: str = "",
) -> list[ModerationAction]:
    """Hide or restore items (the queue's bulk action), each with the clause and note; the
    pending flags are settled and the items leave the queue. Akismet hears of its mistakes
    (see `akismet_feedback`)."""
    if kind not in (ModerationAction.Kind.HIDE, ModerationAction.Kind.RESTORE):
        raise ApplicationError(_("Action inconnue."))
    require_member(user=actor)
    actions = []
    with transaction.atomic():
        for item in items:
            if not can_moderate_theme(user=actor, theme_id=_theme_id(item)):
                raise PermissionDenied(_("Vous ne modérez pas le thème de ce message."))
            if item.status == Status.WITHDRAWN:
                continue
            hide = kind == ModerationAction.Kind.HIDE
            _set_status(item=item, status=Status.HIDDEN if hide else Status.VISIBLE)
            _settle_flags(item=item, upheld=hide)
            type(item).objects.filter(pk=item.pk).update(
                pending_flags=0, **({} if hide else {"flag_score": 0})
            )
            actions.append(
                record_action(kind=kind, actor=actor, clause=clause, note=note, item=item)
            )
            akismet_feedback(item=item, hidden=hide, clause=clause)
    return actions


def can_ban(*, user: User) -> bool:
    """Staff; members at moderator level whose privilege was not revoked (and not banned)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_staff(user):
        return True
    profile = profile_get(user=user)
    return (
        profile.level >= Level.MODERATOR
        and not profile.moderation_revoked
        and not is_banned(profile)
    )


def can_be_banned(*, actor: User, user: User) -> bool:
    """Nobody bans themselves, and campaign staff are never banned from the forum."""
    return user.pk != actor.pk and user.role < Role.STAFF


def ban_duration_label(days: int | None) -> str:
    if days is None:
        return _("sans limite")
    if days == 365:
        return _("1 an")
    return _("%(days)s jours") % {"days": days} if days > 1 else _("1 jour")


def ban_create(
    *, actor: User, user: User, days: int | None, clause: CharterClause, note: str = ""
) -> ModerationAction:
    """Staff ban for any time (None: without limit); moderators for at most a week, and never
    shorten a ban already running (only staff lift or shorten one). The member is told what,
    until when and why, with a link to appeal; the public log gets a line."""
    require_member(user=actor)
    staff = is_staff(actor)
    if not staff:
        if not can_ban(user=actor):
            raise PermissionDenied(_("Seuls les modérateurs peuvent bannir."))
        if days is None or days > MODERATOR_BAN_MAX_DAYS:
            raise PermissionDenied(
                _("Un modérateur bannit pour %(days)s jours au plus.")
                % {"days": MODERATOR_BAN_MAX_DAYS}
            )
    if not can_be_banned(actor=actor, user=user):
        raise PermissionDenied(_("Ce compte ne peut pas être banni."))
    if days is not None and days <= 0:
        raise ApplicationError(_("La durée doit être positive."))
    now = timezone.now()
    until = now + timedelta(days=days) if days else None
    with transaction.atomic():
        profile = ForumProfile.objects.select_for_update().get(pk=profile_get(user=user).pk)
        running_longer = profile.banned_forever or bool(
            until and profile.banned_until and profile.banned_until >= until
        )
        if not staff and is_banned(profile) and running_longer:
            raise PermissionDenied(
                _(
                    "Ce membre est déjà banni plus longtemps ; "
                    "seule l'équipe de campagne raccourcit un bannissement."
                )
            )
        profile.banned_forever = days is None
        profile.banned_until = until
        profile.save(update_fields=["banned_forever", "banned_until"])
        duration = ban_duration_label(days)
        if until is not None:
            duration = _("%(duration)s, jusqu'au %(until)s") % {
                "duration": duration,
                "until": formats.date_format(timezone.localtime(until), "SHORT_DATETIME_FORMAT"),
            }
        return record_action(
            kind=ModerationAction.Kind.BAN,
            actor=actor,
            target_user=user,
            clause=clause,
            note=f"{duration}. {note.strip()}".strip(),
        )


def ban_lift(*, actor: User, user: User, clause: CharterClause, note: str = "") -> ModerationAction:
    """Staff lift a ban before its end, citing a clause (a line of the public log)."""
    if not is_staff(actor):
        raise PermissionDenied(_("Seule l'équipe de campagne lève un bannissement."))
    with transaction.atomic():
        profile = ForumProfile.objects.select_for_update().get(pk=profile_get(user=user).pk)
        if not is_banned(profile):
            raise ApplicationError(_("Ce membre n'est pas banni."))
        profile.banned_forever = False
        profile.banned_until = None
        profile.save(update_fields=["banned_forever", "banned_until"])
        return record_action(
            kind=ModerationAction.Kind.UNBAN,
            actor=actor,
            target_user=user,
            clause=clause,
            note=note,
        )


def _appeal_reviewer(*, action: ModerationAction, author: User) -> User | None:
    """Another moderator of the theme (the least busy), else a staff member: never the one who
    acted, never the author."""
    exclude = [author.pk] + ([action.actor_id] if action.actor_id else [])
    candidates = User.objects.filter(is_active=True).exclude(pk__in=exclude)
    busy = {
        row["assigned_to"]: row["n"]
        for row in Appeal.objects.filter(state=Appeal.State.OPEN)
        .values("assigned_to")
        .annotate(n=Count("id"))
    }
    if action.theme_id:
        moderators = list(
            candidates.filter(
                pk__in=Theme.moderators.through.objects.filter(theme_id=action.theme_id).values(
                    "user_id"
                )
            ).filter(Q(forum_profile__isnull=True) | Q(forum_profile__moderation_revoked=False))
        )
        if moderators:
            return min(moderators, key=lambda u: (busy.get(u.pk, 0), u.pk))
    staff = list(candidates.filter(role__gte=Role.STAFF))
    return min(staff, key=lambda u: (busy.get(u.pk, 0), u.pk)) if staff else None


def appeal_create(*, author: User, action: ModerationAction, text: str) -> Appeal:
    """The author of a moderated item (or a banned member) appeals once."""
    if action.target_user_id != author.pk:
        raise PermissionDenied(_("Seule la personne concernée peut faire appel."))
    if action.kind in (ModerationAction.Kind.RESTORE, ModerationAction.Kind.UNBAN):
        raise ApplicationError(_("Il n'y a rien à contester."))
    text = text.strip()
    if not text:
        raise ApplicationError(_("Dites pourquoi vous contestez cette décision."))
    if Appeal.objects.filter(action=action).exists():
        raise ApplicationError(_("Vous avez déjà fait appel de cette décision."))
    with transaction.atomic():
        reviewer = _appeal_reviewer(action=action, author=author)
        appeal = Appeal.objects.create(
            action=action, author=author, text=text, assigned_to=reviewer
        )
        if reviewer is not None:
            notify(
                user=reviewer,
                subject=_("Forum : un appel à examiner"),
                lines=[_("Un membre conteste une décision de modération."), text],
                link=reverse("forum:queue"),
            )
    return appeal


def appeal_decide(
    *, actor: User, appeal: Appeal, overturn: bool, clause: CharterClause, note: str = ""
) -> Appeal:
    if appeal.state != Appeal.State.OPEN:
        raise ApplicationError(_("Cet appel est déjà tranché."))
    if appeal.assigned_to_id != actor.pk and not is_staff(actor):
        raise PermissionDenied(_("Cet appel est confié à un autre modérateur."))
    if appeal.action.actor_id == actor.pk:
        raise PermissionDenied(_("Un appel est examiné par un autre modérateur."))
    action = appeal.action
    with transaction.atomic():
        if overturn:
            item = action.contribution or action.comment
            if action.kind == ModerationAction.Kind.BAN:
                profile = profile_get(user=appeal.author)
                profile.banned_forever = False
                profile.banned_until = None
                profile.save(update_fields=["banned_forever", "banned_until"])
                record_action(
                    kind=ModerationAction.Kind.UNBAN,
                    actor=actor,
                    target_user=appeal.author,
                    clause=clause,
                    note=note,
                )
            elif item is not None and item.status == Status.HIDDEN:
                if not can_moderate_theme(user=actor, theme_id=_theme_id(item)) and not (
                    appeal.assigned_to_id == actor.pk
                ):
                    raise PermissionDenied(_("Vous ne modérez pas ce thème."))
                _set_status(item=item, status=Status.VISIBLE)
                _settle_flags(item=item, upheld=False)
                type(item).objects.filter(pk=item.pk).update(pending_flags=0, flag_score=0)
                record_action(
                    kind=ModerationAction.Kind.RESTORE,
                    actor=actor,
                    clause=clause,
                    note=note,
                    item=item,
                )
                akismet_feedback(item=item, hidden=False, clause=clause)
        appeal.state = Appeal.State.OVERTURNED if overturn else Appeal.State.UPHELD
        appeal.decision_note = note.strip()[: max_length(Appeal, "decision_note")]
        appeal.decided_at = timezone.now()
        appeal.save(update_fields=["state", "decision_note", "decided_at"])
        notify(
            user=appeal.author,
            subject=_("Forum : décision sur votre appel"),
            lines=[
                _("Votre appel est accepté : la décision est annulée.")
                if overturn
                else _("Votre appel est rejeté : la décision est maintenue."),
                _("Article %(number)s de la charte : %(title)s")
                % {"number": clause.number, "title": clause.title},
                note,
            ],
        )
    return appeal
