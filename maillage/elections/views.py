"""Pages of the elections app: close races (with CSV export) and area detail for organisers
(their zones) and staff (everywhere); the election list and uploads for staff."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import cast
from urllib.parse import quote

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.accounts.models import User
from maillage.core.csv_export import csv_response
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.form_html import form_html
from maillage.core.html import escape
from maillage.core.models import AuditLogEntry
from maillage.core.numbers import NumberFormat
from maillage.core.roles import Role
from maillage.core.services import audit_log_record, task_progress_enqueue
from maillage.elections import selectors
from maillage.elections.forms import CloseRaceFilterForm, ResultUploadForm
from maillage.elections.models import Election, Level
from maillage.elections.services import result_upload_create
from maillage.elections.tasks import result_upload_task

PAGE_SIZE = 50
# The campaign's presence in an area, in the order of the column's heading.
PRESENCE_ORDER = ("people", "reachable", "activists", "doors")
CHART_ROWS = 20


def _filters_from(
    request: AuthenticatedHttpRequest,
) -> tuple[CloseRaceFilterForm, selectors.RaceFilters, Election | None]:
    elections = list(selectors.election_choices(user=request.user))
    with_results = [e for e in elections if getattr(e, "has_results", False)]
    fallback = with_results[0] if with_results else (elections[0] if elections else None)
    # Missing parameters take their defaults, so the form always shows what the list uses.
    data = request.GET.copy()
    defaults = {
        "election": fallback.slug if fallback else "",
        "round": "final",
        "base": "exprimes",
        "level": Level.CONSTITUENCY,
    }
    for key, value in defaults.items():
        if not data.get(key):
            data[key] = value
    form = CloseRaceFilterForm(data, elections=elections)
    cleaned = form.cleaned_data if form.is_valid() else {}
    election = next((e for e in elections if e.slug == cleaned.get("election")), fallback)

    def pct(value: Decimal | None) -> float | None:
        return float(value) if value is not None else None

    filters = selectors.RaceFilters(
        round=cleaned.get("round") or "final",
        max_gap=pct(cleaned.get("max_gap")),
        max_margin=pct(cleaned.get("max_margin")),
        base=cleaned.get("base") or "exprimes",
        level=cleaned.get("level") or Level.CONSTITUENCY,
        sort=cleaned.get("sort") or "",
    )
    return form, filters, election


@role_required(Role.STAFF)
def election_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    elections = selectors.election_list(user=request.user)
    return render(request, "elections/election_list.html", {"elections": elections})


@role_required(Role.ORGANISER)
def close_races(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters, election = _filters_from(request)
    context: dict[str, object] = {
        "form": form,
        # The filter form prints the same for the same query and elections: rendered once.
        "form_html": form_html(
            form,
            rendered_from=(
                tuple(
                    (key, tuple(values))
                    for key, values in sorted(cast(QueryDict, form.data).lists())
                ),
                tuple(form.fields["election"].choices),  # type: ignore[attr-defined]
            ),
        ),
        "filters": filters,
        "election": election,
    }
    if election is not None:
        races = selectors.CloseRacePages(election=election, filters=filters, user=request.user)
        paginator: Paginator[selectors.RaceRow] = Paginator(races, PAGE_SIZE)  # type: ignore[arg-type]
        page = paginator.get_page(request.GET.get("page"))
        rows = list(page.object_list)
        presence = selectors.campaign_presence_by_area(
            user=request.user, area_type=filters.level, codes=[row.code for row in rows]
        )
        prefix = reverse("elections:area_detail", args=[election.slug, filters.level, "0"])
        numbers = NumberFormat()
        context.update(
            page=page,
            rows=rows,
            rows_html=_race_rows_html(races, page.number, rows, presence, prefix, numbers),
            summary_html=_race_summary_html(races, page.number, rows, numbers, user=request.user),
            query=_query_without(request, "page"),
            sort_query=_query_without(request, "page", "sort"),
        )
    return render(request, "elections/close_races.html", context)


def _candidate_cell(
    candidate: selectors.RaceCandidate | None, numbers: NumberFormat
) -> dict[str, object]:
    if candidate is None:
        return {}
    return {
        "name": candidate.full_name,
        "nuance": candidate.nuance_code or "?",
        "votes": numbers.intcomma(candidate.votes),
        "elected": candidate.elected,
    }


def _race_table(
    rows: list[selectors.RaceRow],
    presence: dict[str, dict[str, int]],
    url_prefix: str,
    numbers: NumberFormat,
) -> list[dict[str, object]]:
    """The close-races table's cells as text, numbers as `|intcomma` and `|floatformat:2` print
    them (maillage.core.numbers); /elections/<slug>/<level>/<code>/ is `url_prefix` + code."""
    table = []
    for row in rows:
        counts = presence.get(row.code)
        table.append(
            {
                "race": row,
                "url": f"{url_prefix}{quote(row.code, safe='/')}/",
                "name": row.name,
                "code": row.code,
                "round": _("tour %(n)s") % {"n": row.round_number},
                # The two columns "En tête" and "Second".
                "candidates": [
                    _candidate_cell(row.winner, numbers),
                    _candidate_cell(row.runner_up, numbers),
                ],
                "gap_votes": numbers.intcomma(row.gap_votes),
                "gap_pct": numbers.fixed(row.gap_pct, 2),
                "margin_votes": None
                if row.margin_votes is None
                else numbers.intcomma(row.margin_votes),
                "margin_pct": numbers.fixed(row.margin_pct, 2),
                "abstentions": numbers.intcomma(row.abstentions),
                "registered": numbers.intcomma(row.registered),
                "presence": " / ".join(numbers.intcomma(counts[key]) for key in PRESENCE_ORDER)
                if counts
                else "",
            }
        )
    return table


def _race_summary_html(
    races: selectors.CloseRacePages,
    number: int,
    rows: list[selectors.RaceRow],
    numbers: NumberFormat,
    *,
    user: User,
) -> SafeString:
    """The counts under each threshold and, on the first page, the chart of the closest races:
    drawn once per page of races (same key and lifetime as its rows) and language. Through
    the template engine on each view they were a third of the page's rendering."""
    key = f"{races.key}:summary:{number}:{get_language()}"
    html = cache.get(key)
    if html is None:
        chart_rows = rows[:CHART_ROWS] if number == 1 else []
        sort_key = (
            "margin_pct" if races.filters.effective_sort.lstrip("-") == "margin" else "gap_pct"
        )
        widest = max((getattr(row, sort_key) or 0 for row in chart_rows), default=0) or 1
        counts = selectors.close_race_counts(
            election=races.election, filters=races.filters, user=user
        )
        html = render_to_string(
            "elections/_race_summary.html",
            {
                "counts": counts,
                # Widths as CSS text here: template filters would write a French decimal comma.
                "chart": [
                    (
                        row,
                        numbers.fixed(getattr(row, sort_key), 2),
                        f"{(getattr(row, sort_key) or 0) * 100 / widest:.1f}",
                    )
                    for row in chart_rows
                ],
            },
        )
        cache.set(key, html, selectors.RACE_COUNTS_SECONDS)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, which escapes


def _race_rows_html(
    races: selectors.CloseRacePages,
    number: int,
    rows: list[selectors.RaceRow],
    presence: dict[str, dict[str, int]],
    prefix: str,
    numbers: NumberFormat,
) -> SafeString:
    """The table's rows for this page, kept in the cache beside the page's races (same key and
    lifetime), per language and per the campaign's presence in those areas (which the people
    app caches per scope): formatting fifty rows of numbers was a third of the page's CPU."""
    seen = repr([(row.code, tuple(presence.get(row.code, {}).values())) for row in rows])
    key = (
        f"{races.key}:html:{number}:{get_language()}:"
        f"{hashlib.sha256(seen.encode()).hexdigest()[:32]}"
    )
    html = cache.get(key)
    if html is None:
        # Every cell's text made here: no filter, translation or include per row.
        table = _race_table(rows, presence, prefix.removesuffix("0/"), numbers)
        html = str(_race_table_html(table))
        cache.set(key, html, selectors.RACE_COUNTS_SECONDS)
    return mark_safe(html)  # noqa: S308 - made by _race_table_html, every value escaped


def _race_table_html(table: list[dict[str, object]]) -> SafeString:
    """The close-races table's rows (`<tr>` … `</tr>`) from `_race_table`, every value escaped.

    One string printed by the template: through the template engine, fifty rows of some twenty
    values were most of the page's CPU (a variable node, a lookup and an escape per value)."""
    votes, elected = escape(_("voix")), escape(_("élu·e"))
    html = []
    for row in table:
        cells = [
            f'<td><a href="{escape(row["url"])}">{escape(row["name"])}</a><br>'
            f"<small>{escape(row['code'])} · {escape(row['round'])}</small></td>"
        ]
        for candidate in cast(list[dict[str, object]], row["candidates"]):
            if not candidate:
                cells.append("<td>—</td>")
                continue
            won = f" · <strong>{elected}</strong>" if candidate["elected"] else ""
            cells.append(
                f'<td>{escape(candidate["name"])} <span class="badge">'
                f"{escape(candidate['nuance'])}</span><br><small>{escape(candidate['votes'])} "
                f"{votes}{won}</small></td>"
            )
        cells.append(
            f'<td class="num">{escape(row["gap_votes"])} {votes}<br>'
            f"<small>{escape(row['gap_pct'])} %</small></td>"
        )
        cells.append(
            f'<td class="num">{escape(row["margin_votes"])} {votes}<br>'
            f"<small>{escape(row['margin_pct'])} %</small></td>"
            if row["margin_votes"] is not None
            else '<td class="num">—</td>'
        )
        cells.append(f'<td class="num">{escape(row["abstentions"])}</td>')
        cells.append(f'<td class="num">{escape(row["registered"])}</td>')
        cells.append(f'<td class="num">{escape(row["presence"] or "—")}</td>')
        html.append("<tr>" + "".join(cells) + "</tr>\n")
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


def _query_without(request: AuthenticatedHttpRequest, *keys: str) -> str:
    query = request.GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


@role_required(Role.ORGANISER)
def close_races_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form, filters, election = _filters_from(request)
    if election is None:
        return redirect("elections:close_races")
    rows = selectors.race_rows(
        selectors.close_race_list(election=election, filters=filters, user=request.user)
    )
    audit_log_record(
        actor=request.user,
        action=AuditLogEntry.Action.EXPORT,
        target=election,
        changes={
            "export": "close_races",
            "round": filters.round,
            "max_gap": filters.max_gap,
            "max_margin": filters.max_margin,
            "base": filters.base,
            "level": filters.level,
            "rows": len(rows),
        },
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    stamp = timezone.now().strftime("%Y%m%d")
    return csv_response(
        filename=f"courses-serrees-{election.slug}-{stamp}.csv",
        rows=[selectors.CSV_HEADER, *selectors.race_csv_rows(rows, base=filters.base)],
    )


@role_required(Role.ORGANISER)
def area_detail(
    request: AuthenticatedHttpRequest, slug: str, level: str, code: str
) -> HttpResponse:
    election = selectors.access_election(user=request.user, slug=slug)
    base = request.GET.get("base") or "exprimes"
    if base not in selectors.BASES:
        base = "exprimes"
    areas = selectors.area_rounds(election=election, level=level, code=code, user=request.user)
    rounds = []
    for area in areas:
        base_value = area.cast if base == "exprimes" else area.voters
        candidates = [
            (
                candidate,
                # Bar width as CSS text (a French decimal comma would break it).
                f"{candidate.votes * 100 / area.cast if area.cast else 0:.1f}",
                candidate.votes * 100 / base_value if base_value else 0,
            )
            for candidate in area.candidates.all()
        ]
        rounds.append(
            {
                "area": area,
                "candidates": candidates,
                "turnout": area.voters * 100 / area.registered if area.registered else 0,
                "gap_pct": area.gap_votes * 100 / base_value if base_value else None,
                "margin_pct": area.margin_votes * 100 / base_value
                if base_value and area.margin_votes is not None
                else None,
            }
        )
    sub_areas = (
        selectors.area_sub_areas(election=election, constituency_code=code, user=request.user)[:500]
        if level == Level.CONSTITUENCY
        else []
    )
    presence = selectors.campaign_presence_by_area(user=request.user, area_type=level, codes=[code])
    return render(
        request,
        "elections/area_detail.html",
        {
            "election": election,
            "area": areas[-1],
            "rounds": rounds,
            "base": base,
            "base_label": selectors.BASE_LABELS[base],
            "sub_areas": sub_areas,
            "presence": presence.get(code),
        },
    )


@role_required(Role.STAFF)
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    elections = list(selectors.election_list(user=request.user))
    form = ResultUploadForm(request.POST or None, request.FILES or None, elections=elections)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stored = result_upload_create(
                actor=request.user,
                upload=data["file"],
                election_slug=form.election_slug,
                round_number=int(data["round"]) if data.get("round") else None,
                format=data.get("format") or "auto",
                election_type=data.get("type") or "",
                election_date=data.get("date"),
            )
        except ApplicationError as error:
            form.add_error("file", error.message)
        else:
            progress = stored.progress
            assert progress is not None  # noqa: S101 - result_upload_create always makes one
            # Remembered on the progress record, so a run whose process died can run again.
            task_progress_enqueue(progress=progress, task=result_upload_task, upload_id=stored.pk)
            return redirect("core:task_progress_page", progress_id=stored.progress_id)
    return render(request, "elections/upload.html", {"form": form})


@role_required(Role.STAFF)
def import_detail(request: AuthenticatedHttpRequest, import_id: int) -> HttpResponse:
    record = selectors.access_result_import(user=request.user, import_id=import_id)
    return render(request, "elections/import_detail.html", {"record": record})
