"""Trust levels and the forum's tunable numbers, with their documented defaults.

The level ladder follows Discourse's trust levels (TL0 new → TL1 basic → TL2 member → TL3
regular → TL4 leader) and its reputation steps Stack Overflow's privileges (15 to vote up,
125 to vote down, 500 to review, 3,000 to close): a member rises automatically when every
requirement of the next level is met, and falls back when one stops being met (a contrarian's
accuracy drops, meta-moderation finds them unfair). Staff may fix a level by hand.

Override any number with the `MAILLAGE_FORUM` setting (a dict with the same keys).

Reputation (see `reputation_of`): +10 per "up" received and −2 per "down" received (Stack
Overflow's weights), +1 per rating given (activity, capped), +4 per rating that agreed with the
consensus the item reached and −6 per one that disagreed (accuracy: rating against the crowd
every time costs more than the activity earns), +15 per "fair" meta-moderation verdict and −30
per "unfair" one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from maillage.forum.models import ForumProfile, Level

DEFAULTS: dict[str, Any] = {
    # Reputation needed for each level (Stack Overflow's 15 / 125 / 500 / 3,000).
    "rater_reputation": 15,
    "flagger_reputation": 125,
    "moderator_reputation": 500,
    "founder_reputation": 3000,
    # Ratings given and accuracy (share agreeing with the consensus) from flagger up.
    "flagger_ratings": 20,
    "flagger_accuracy": 0.6,
    "moderator_ratings": 100,
    "moderator_accuracy": 0.7,
    "founder_accuracy": 0.75,
    # Limits of new members (Discourse's TL0 limits, tightened for a campaign).
    "new_contributions_per_day": 3,
    "new_comments_per_day": 10,
    "new_max_links": 2,
    # Activity in a theme that makes a moderator-level member one of its moderators.
    "moderator_theme_posts": 3,
    # Flags: weight per level, and the weighted score that hides an item pending review.
    "flag_weights": {0: 0.0, 1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0},
    "auto_hide_score": 3.0,
    # Consensus: an item has one when it has this many ratings and the Wilson lower bound of
    # the majority's share reaches `consensus_share`.
    "consensus_min_ratings": 5,
    "consensus_share": 0.5,
    # Moderation points (after Slashdot): points per new contribution of the day, at most this
    # many per member, kept this many days.
    "points_per_contribution": 0.5,
    "points_max_per_member": 10,
    "points_lifetime_days": 3,
    # Meta-moderation: verdicts needed before judging, share of "unfair" that removes the
    # moderation privilege, actions shown per session.
    "meta_min_verdicts": 5,
    "meta_unfair_share": 0.5,
    "meta_sample_size": 5,
    # Reputation weights.
    "rep_up_received": 10,
    "rep_down_received": -2,
    "rep_rating_given": 1,
    "rep_rating_given_cap": 300,
    "rep_agreed": 4,
    "rep_disagreed": -6,
    "rep_meta_fair": 15,
    "rep_meta_unfair": -30,
    # Anti-spam (Akismet): the charter clause whose title (else text) holds one of these words
    # is the spam clause (cited when Akismet holds a post; hiding for it reports a spam);
    # days after which a check forgets the sender's IP address and browser.
    "spam_clause_words": ["spam", "publicit", "indésirable", "advertis"],
    "spam_check_retention_days": 30,
}


def conf(key: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "MAILLAGE_FORUM", {})}[key]


def reputation_of(profile: ForumProfile) -> int:
    given = min(profile.ratings_given, conf("rep_rating_given_cap"))
    return int(
        profile.up_received * conf("rep_up_received")
        + profile.down_received * conf("rep_down_received")
        + given * conf("rep_rating_given")
        + profile.ratings_agreed * conf("rep_agreed")
        + profile.ratings_disagreed * conf("rep_disagreed")
        + profile.meta_fair * conf("rep_meta_fair")
        + profile.meta_unfair * conf("rep_meta_unfair")
    )


@dataclass(frozen=True)
class Requirement:
    label: str | Promise
    needed: str | Promise
    current: str | Promise
    met: bool


def _accuracy_text(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def requirements(profile: ForumProfile, level: int) -> list[Requirement]:
    """What `level` needs, each with the member's current figure."""
    rep_key = {1: "rater", 2: "flagger", 3: "moderator", 4: "founder"}[level]
    needed_rep = conf(f"{rep_key}_reputation")
    reqs = [
        Requirement(
            _("réputation"),
            str(needed_rep),
            str(profile.reputation),
            profile.reputation >= needed_rep,
        )
    ]
    if level >= Level.FLAGGER:
        ratings_key = "moderator_ratings" if level >= Level.MODERATOR else "flagger_ratings"
        reqs.append(
            Requirement(
                _("évaluations données"),
                str(conf(ratings_key)),
                str(profile.ratings_given),
                profile.ratings_given >= conf(ratings_key),
            )
        )
        accuracy_key = {2: "flagger_accuracy", 3: "moderator_accuracy", 4: "founder_accuracy"}[
            level
        ]
        accuracy = profile.accuracy
        reqs.append(
            Requirement(
                _("accord avec le consensus"),
                _accuracy_text(conf(accuracy_key)),
                _accuracy_text(accuracy),
                accuracy is not None and accuracy >= conf(accuracy_key),
            )
        )
    if level >= Level.MODERATOR:
        reqs.append(
            Requirement(
                _("modération jugée équitable (méta-modération)"),
                _("pas retirée"),
                _("retirée") if profile.moderation_revoked else _("pas retirée"),
                not profile.moderation_revoked,
            )
        )
    return reqs


def earned_level(profile: ForumProfile) -> int:
    """The highest level whose requirements, and those of every level below, are all met."""
    level = Level.NEW
    for candidate in (Level.RATER, Level.FLAGGER, Level.MODERATOR, Level.FOUNDER):
        if all(req.met for req in requirements(profile, candidate)):
            level = candidate
        else:
            break
    return int(level)


def effective_level(profile: ForumProfile) -> int:
    if profile.manual_level is not None:
        return int(profile.manual_level)
    return earned_level(profile)
