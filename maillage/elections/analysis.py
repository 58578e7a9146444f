"""The arithmetic of a race, in pure functions: ranking, gap, winner's margin, validation warnings.

Kept apart from the database so that the rules are tested on their own and the importer and
the pages agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from maillage.elections.importers.base import ParsedArea, ParsedCandidate

# Levels at which a seat is decided: a winner's margin means something there. In a bureau or
# a commune the "winner" of the local count won nothing.
RACE_LEVELS = frozenset({"constituency", "national"})


@dataclass
class AreaSummary:
    ranked: list[ParsedCandidate]
    top_votes: int
    runner_up_votes: int
    gap_votes: int
    margin_votes: int | None
    warnings: list[str]


def rank_candidates(candidates: list[ParsedCandidate]) -> list[ParsedCandidate]:
    """By votes (file order is ballot order, not rank); on a tie the one marked elected first."""
    return sorted(
        candidates,
        key=lambda c: (
            -c.votes,
            not c.elected,
            c.panel_number if c.panel_number is not None else 10_000,
        ),
    )


def summarise_area(area: ParsedArea, *, rounds_in_election: int) -> AreaSummary:
    ranked = rank_candidates(area.candidates)
    top = ranked[0].votes if ranked else 0
    runner_up = ranked[1].votes if len(ranked) > 1 else 0
    label = f"{area.name} ({area.code}), tour {area.round_number}"
    warnings: list[str] = []
    total = sum(c.votes for c in ranked)
    if not ranked:
        warnings.append(f"{label} : aucun candidat")
    elif total != area.cast:
        warnings.append(
            f"{label} : somme des voix {_n(total)} ≠ exprimés {_n(area.cast)} (écart {total - area.cast:+d}) ; conservé tel quel"
        )
    if (
        area.blank_ballots is not None
        and area.null_ballots is not None
        and area.blank_ballots + area.null_ballots + area.cast != area.voters
    ):
        warnings.append(f"{label} : blancs + nuls + exprimés ≠ votants ({_n(area.voters)})")
    if area.voters > area.registered:
        warnings.append(
            f"{label} : plus de votants ({_n(area.voters)}) que d'inscrits ({_n(area.registered)})"
        )
    if area.abstentions is not None and area.abstentions + area.voters != area.registered:
        warnings.append(f"{label} : abstentions + votants ≠ inscrits")
    elected = [c for c in ranked if c.elected]
    margin: int | None = None
    if area.level in RACE_LEVELS and ranked:
        if len(elected) > 1:
            warnings.append(f"{label} : {len(elected)} candidats marqués élus pour un siège")
        if elected:
            winner = elected[0]
            if winner is not ranked[0]:
                warnings.append(
                    f"{label} : l'élu·e ({winner.last_name}) n'est pas en tête des voix"
                )
            best_other = max((c.votes for c in ranked if c is not winner), default=0)
            margin = winner.votes - best_other
        elif area.round_number is not None and area.round_number >= rounds_in_election:
            warnings.append(
                f"{label} : tour final sans élu·e marqué·e ; le premier en voix est retenu"
            )
            margin = top - runner_up
    return AreaSummary(
        ranked=ranked,
        top_votes=top,
        runner_up_votes=runner_up,
        gap_votes=top - runner_up,
        margin_votes=margin,
        warnings=warnings,
    )


def percent(part: int | None, base: int | None) -> float | None:
    if part is None or not base:
        return None
    return part * 100.0 / base


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")
