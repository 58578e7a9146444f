"""Every write of the forum (see the modules for the rules each enforces)."""

from maillage.forum.services.common import profile_get, profile_show_name_in_log
from maillage.forum.services.contributions import (
    SpamRefused,
    charter_publish,
    comment_create,
    contribution_create,
    contribution_edit,
    contribution_withdraw,
    parse_clauses,
    programme_text_publish,
    theme_appoint,
    theme_create,
)
from maillage.forum.services.moderation import (
    appeal_create,
    appeal_decide,
    ban_create,
    ban_duration_label,
    ban_lift,
    can_ban,
    can_be_banned,
    can_moderate_theme,
    flag_create,
    moderation_decide,
)
from maillage.forum.services.ratings import rating_set
from maillage.forum.services.reputation import (
    level_set_manual,
    meta_moderation_record,
    moderation_points_distribute,
    profile_refresh,
    reputation_recompute,
)
from maillage.forum.services.syntheses import (
    can_synthesise,
    synthesis_create,
    synthesis_publish,
)

__all__ = [
    "SpamRefused",
    "appeal_create",
    "appeal_decide",
    "ban_create",
    "ban_duration_label",
    "ban_lift",
    "can_ban",
    "can_be_banned",
    "can_moderate_theme",
    "can_synthesise",
    "charter_publish",
    "comment_create",
    "contribution_create",
    "contribution_edit",
    "contribution_withdraw",
    "flag_create",
    "level_set_manual",
    "meta_moderation_record",
    "moderation_decide",
    "moderation_points_distribute",
    "parse_clauses",
    "profile_get",
    "profile_refresh",
    "profile_show_name_in_log",
    "programme_text_publish",
    "rating_set",
    "reputation_recompute",
    "synthesis_create",
    "synthesis_publish",
    "theme_appoint",
    "theme_create",
]
