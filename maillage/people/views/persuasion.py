"""The persuasion dashboard (staff): support levels now and week by week, transitions, contacts
per flip and doors per hour, by polling station, volunteer and turf or campaign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.roles import Role
from maillage.people.models import SupportLevel
from maillage.people.selectors.persuasion import (
    LEVELS,
    Figures,
    actor_names,
    doors_per_hour,
    figures_rows,
    support_distribution,
    support_history,
    week_starts,
)
from maillage.people.selectors.questions import source_label

LABELS = dict(SupportLevel.choices)
GROUP_ROWS = 30


@dataclass(frozen=True)
class Segment:
    """One level's part of a stacked bar: x and width in a 0-100 viewBox (SVG geometry, no
    style attribute: the CSP allows no inline style)."""

    level: int
    x: float
    width: float
    count: int


def _stack(counts: dict[int, int]) -> list[Segment]:
    total = sum(counts.values())
    parts, x = [], 0.0
    for level in LEVELS:
        width = 100 * counts.get(level, 0) / total if total else 0.0
        parts.append(
            Segment(level=level, x=round(x, 3), width=round(width, 3), count=counts.get(level, 0))
        )
        x += width
    return parts


def _group_rows(groups: dict[Any, Figures], label: Any) -> list[dict[str, Any]]:
    return [
        {"label": label(key), "figures": figures}
        for key, figures in figures_rows(groups)[:GROUP_ROWS]
    ]


@role_required(Role.STAFF)
def persuasion(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = support_distribution(user=request.user)
    history, boundaries = support_history(user=request.user)
    rates = doors_per_hour(user=request.user)
    names = actor_names([*history.by_actor, *(r.actor_id for r in rates)])
    total_now = sum(now.values())

    def actor_label(actor_id: int | None) -> str:
        return names.get(actor_id or 0, "—")

    overall = history.overall
    matrix = [
        {
            "label": LABELS[before],
            "cells": [
                overall.transitions.get((before, after), 0) if after != before else None
                for after in LEVELS
            ],
        }
        for before in LEVELS
    ]
    weeks = [
        {"start": start, "total": sum(counts.values()), "parts": _stack(dict(counts))}
        for start, counts in zip(week_starts(boundaries), history.weekly, strict=True)
    ][:-1]  # the last boundary is now: the current week's state is the distribution above
    return render(
        request,
        "people/persuasion.html",
        {
            "levels": [(level, LABELS[level]) for level in LEVELS],
            "now": [
                {
                    "level": level,
                    "label": LABELS[level],
                    "count": now[level],
                    "percent": round(100 * now[level] / total_now, 1) if total_now else 0,
                }
                for level in LEVELS
            ],
            "now_stack": _stack(now),
            "total_now": total_now,
            "overall": overall,
            "matrix": matrix,
            "weeks": weeks,
            "by_station": _group_rows(history.by_station, lambda key: key or "—"),
            "by_actor": _group_rows(history.by_actor, actor_label),
            "by_source": _group_rows(
                {k: v for k, v in history.by_source.items() if k[0]},
                lambda key: source_label(key[0], key[1]),
            ),
            "rates": [(actor_label(r.actor_id), r) for r in rates[:GROUP_ROWS]],
        },
    )
