"""Pages of the forum. Themes, contributions, programme texts, the charter and the public log are
public (cacheable for anonymous visitors); writing needs a signed-in account (any role)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.accounts.models import User
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError, NotFound, PermissionDenied
from maillage.core.roles import Role
from maillage.forum import selectors, services, spam
from maillage.forum.forms import (
    AppealDecisionForm,
    AppealForm,
    AppointForm,
    BanForm,
    BanLiftForm,
    CharterForm,
    ClauseForm,
    CommentForm,
    ContributionForm,
    LevelForm,
    ProgrammeForm,
    QueueActionForm,
    RatingForm,
    SynthesisForm,
    ThemeForm,
)
from maillage.forum.levels import conf
from maillage.forum.models import Comment, Contribution, Level, ModerationAction, Status

member_required = role_required(Role.SUPPORTER)


def _public(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Anonymous visitors may get a page from a shared cache for a minute."""
    if not request.user.is_authenticated:
        patch_cache_control(response, public=True, max_age=60)
    return response


# Fragments of the public pages for anonymous visitors, keyed by the row's `version` (bumped by
# every write that changes them), so a hit is exact and skips every query but the row's own.
FRAGMENT_SECONDS = 600


def _fragment(
    request: HttpRequest, key: str, template: str, build: Callable[[], dict[str, Any]]
) -> SafeString:
    anonymous = not request.user.is_authenticated
    if anonymous:
        cached = cache.get(key)
        if cached is not None:
            return mark_safe(cached)  # noqa: S308 - our own rendering, cached
    html = render_to_string(template, build(), request)
    if anonymous:
        cache.set(key, html, FRAGMENT_SECONDS)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine (escaped)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or fallback
    if not target.startswith("/") or target.startswith("//"):
        target = fallback
    return redirect(target)


def _error(request: HttpRequest, error: ApplicationError) -> None:
    messages.error(request, error.message)


def _visitor(request: HttpRequest) -> spam.Visitor:
    """The sender of a post as Akismet wants them: the address the request came from (set by
    the server, or by the reverse proxy in front of it), the browser and the referring page."""
    return spam.Visitor(
        ip=request.META.get("REMOTE_ADDR", ""),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        referrer=request.META.get("HTTP_REFERER", ""),
    )


def _held(request: HttpRequest) -> None:
    messages.warning(
        request,
        _(
            "Votre message attend l'examen d'un modérateur avant d'être publié : "
            "le filtre anti-spam l'a retenu. Vous êtes prévenu·e par e-mail de la décision."
        ),
    )


def index(request: HttpRequest) -> HttpResponse:
    context = {
        "themes": selectors.theme_list(),
        "texts": selectors.programme_text_list(),
        "is_staff": services.common.is_staff(cast(User, request.user)),
    }
    return _public(request, render(request, "forum/index.html", context))


def theme(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        current = selectors.access_theme(slug=slug)
    except NotFound as error:
        raise Http404(error.message) from None
    order = request.GET.get("order", "best")
    if order not in selectors.ORDERS:
        order = "best"
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    form = ContributionForm()
    user = request.user
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        form = ContributionForm(request.POST)
        if form.is_valid():
            try:
                contribution = services.contribution_create(
                    author=cast(User, user),
                    theme=current,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    honeypot=form.cleaned_data["website"],
                    visitor=_visitor(request),
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                if contribution.status == Status.HIDDEN:
                    _held(request)
                else:
                    messages.success(request, _("Votre contribution est publiée."))
                return redirect("forum:contribution", contribution.pk)

    def build() -> dict[str, Any]:
        items = selectors.theme_contributions(theme=current, order=order, page=page)
        has_next = len(items) > selectors.PAGE_SIZE
        items = items[: selectors.PAGE_SIZE]
        mine = selectors.my_ratings(
            user=user, contribution_ids=[c.pk for c in items], comment_ids=[]
        )
        return {
            "items": [(c, mine.get(f"c{c.pk}", 0)) for c in items],
            "order": order,
            "orders": [
                ("best", _("Les mieux notées")),
                ("hot", _("Du moment")),
                ("new", _("Nouvelles")),
                ("controversial", _("Controversées")),
                ("unrated", _("Pas encore notées")),
            ],
            "page": page,
            "has_next": has_next,
            "syntheses": selectors.theme_syntheses(theme=current),
        }

    key = f"forum:theme:{current.pk}:{current.version}:{order}:{page}:{get_language()}"
    context: dict[str, Any] = {
        "theme": current,
        "form": form,
        "list_html": _fragment(request, key, "forum/_theme_list.html", build),
    }
    if user.is_authenticated:
        context["can_synthesise"] = services.can_synthesise(user=cast(User, user), theme=current)
        context["can_moderate"] = services.can_moderate_theme(
            user=cast(User, user), theme_id=current.pk
        )
    return _public(request, render(request, "forum/theme.html", context))


def contribution(request: HttpRequest, contribution_id: int) -> HttpResponse:
    try:
        item = selectors.access_contribution_page(
            contribution_id=contribution_id, user=request.user
        )
    except NotFound as error:
        raise Http404(error.message) from None
    user = request.user
    # The comment form is drawn for members only: an anonymous page builds none.
    form = CommentForm() if user.is_authenticated else None
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                parent_id = form.cleaned_data.get("parent")
                parent = Comment.objects.filter(pk=parent_id).first() if parent_id else None
                comment = services.comment_create(
                    author=cast(User, user),
                    body=form.cleaned_data["body"],
                    contribution=item,
                    parent=parent,
                    honeypot=form.cleaned_data["website"],
                    visitor=_visitor(request),
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                if comment.status == Status.HIDDEN:
                    _held(request)
                    return redirect("forum:contribution", item.pk)
                return redirect(
                    reverse("forum:contribution", args=[item.pk]) + f"#comment-{comment.pk}"
                )
    clauses = selectors.clauses_current() if user.is_authenticated else []
    mine: dict[str, int] = {}

    def build() -> dict[str, Any]:
        thread = (
            selectors.contribution_comments(contribution=item)
            if item.status != Status.WITHDRAWN
            else []
        )
        mine.update(
            selectors.my_ratings(
                user=user,
                contribution_ids=[item.pk],
                comment_ids=[line.comment.pk for line in thread],
            )
        )
        return {
            "thread": [(line, mine.get(f"m{line.comment.pk}", 0)) for line in thread],
            "clauses": clauses,
            "comment_count": item.comment_count,
            "syntheses": selectors.syntheses_citing(contribution=item),
        }

    key = f"forum:contribution:{item.pk}:{item.version}:{get_language()}"
    thread_html = _fragment(request, key, "forum/_thread.html", build)
    context: dict[str, Any] = {
        "item": item,
        "my_rating": mine.get(f"c{item.pk}", 0),
        "thread_html": thread_html,
        "form": form,
        "labels": RatingForm.base_fields["label"].choices,  # type: ignore[attr-defined]
    }
    if user.is_authenticated:
        context["clauses"] = clauses
        context["is_author"] = item.author_id == user.pk
        context["can_moderate"] = services.can_moderate_theme(
            user=cast(User, user), theme_id=item.theme_id
        )
    return _public(request, render(request, "forum/contribution.html", context))


def _item(kind: str, item_id: int) -> Contribution | Comment:
    model = Contribution if kind == "contribution" else Comment
    try:
        return model.objects.get(pk=item_id)
    except model.DoesNotExist:
        raise Http404 from None


def _item_url(item: Contribution | Comment) -> str:
    if isinstance(item, Contribution):
        return reverse("forum:contribution", args=[item.pk])
    if item.contribution_id:
        return reverse("forum:contribution", args=[item.contribution_id]) + f"#comment-{item.pk}"
    paragraph = item.paragraph
    assert paragraph is not None
    return reverse("forum:programme", args=[paragraph.text.slug]) + f"#p{paragraph.pk}"


@require_POST
@member_required
def rate(request: AuthenticatedHttpRequest, kind: str, item_id: int) -> HttpResponse:
    item = _item(kind, item_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Évaluation invalide."))
    else:
        try:
            services.rating_set(
                user=request.user,
                item=item,
                value=form.cleaned_data["value"],
                label=form.cleaned_data["label"] or "",
            )
        except ApplicationError as error:
            _error(request, error)
    return _back(request, _item_url(item))


@require_POST
@member_required
def flag(request: AuthenticatedHttpRequest, kind: str, item_id: int) -> HttpResponse:
    item = _item(kind, item_id)
    form = ClauseForm(request.POST, clauses=selectors.clauses_current())
    if not form.is_valid():
        messages.error(request, _("Choisissez l'article de la charte que vous citez."))
        return _back(request, _item_url(item))
    try:
        clause = selectors.access_clause(clause_id=form.cleaned_data["clause"])
        services.flag_create(
            user=request.user, item=item, clause=clause, note=form.cleaned_data["note"]
        )
    except ApplicationError as error:
        _error(request, error)
    else:
        messages.success(request, _("Merci : votre signalement est enregistré."))
    if (
        item.status == Status.HIDDEN
        or type(item).objects.filter(pk=item.pk, status=Status.HIDDEN).exists()
    ):
        return redirect("forum:log")
    return _back(request, _item_url(item))


@member_required
def contribution_edit(request: AuthenticatedHttpRequest, contribution_id: int) -> HttpResponse:
    try:
        item = selectors.access_contribution(contribution_id=contribution_id, user=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    by_author = item.author_id == request.user.pk
    clauses = [] if by_author else selectors.clauses_current()
    form = ContributionForm(initial={"title": item.title, "body": item.body})
    clause_form = ClauseForm(clauses=clauses)
    if request.method == "POST":
        form = ContributionForm(request.POST)
        clause_form = ClauseForm(request.POST, clauses=clauses)
        if form.is_valid() and (by_author or clause_form.is_valid()):
            try:
                clause = (
                    None
                    if by_author
                    else selectors.access_clause(clause_id=clause_form.cleaned_data["clause"])
                )
                services.contribution_edit(
                    actor=request.user,
                    contribution=item,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    clause=clause,
                    note="" if by_author else clause_form.cleaned_data["note"],
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Contribution modifiée."))
                return redirect("forum:contribution", item.pk)
    return render(
        request,
        "forum/contribution_edit.html",
        {
            "item": item,
            "form": form,
            "clause_form": clause_form,
            "by_author": by_author,
            "revisions": item.revisions.all()[:20],
        },
    )


@require_POST
@member_required
def contribution_withdraw(request: AuthenticatedHttpRequest, contribution_id: int) -> HttpResponse:
    item = _item("contribution", contribution_id)
    try:
        services.contribution_withdraw(actor=request.user, contribution=cast(Contribution, item))
    except ApplicationError as error:
        _error(request, error)
    else:
        messages.success(request, _("Votre contribution est retirée."))
    return redirect("forum:contribution", item.pk)


def programme(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        text, paragraphs = selectors.access_programme_text(slug=slug)
    except NotFound as error:
        raise Http404(error.message) from None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        form = CommentForm(request.POST)
        try:
            paragraph = selectors.access_paragraph(
                paragraph_id=int(request.POST.get("paragraph", "0"))
            )
            if paragraph.text_id != text.pk or not form.is_valid():
                raise ApplicationError(_("Commentaire invalide."))
            parent_id = form.cleaned_data.get("parent")
            comment = services.comment_create(
                author=cast(User, request.user),
                body=form.cleaned_data["body"],
                paragraph=paragraph,
                parent=Comment.objects.filter(pk=parent_id).first() if parent_id else None,
                honeypot=form.cleaned_data["website"],
                visitor=_visitor(request),
            )
        except (ApplicationError, ValueError) as error:
            messages.error(request, getattr(error, "message", _("Commentaire invalide.")))
            return redirect("forum:programme", slug)
        if comment.status == Status.HIDDEN:
            _held(request)
        return redirect(reverse("forum:programme", args=[slug]) + f"#p{paragraph.pk}")
    return _public(
        request,
        render(
            request,
            "forum/programme.html",
            {"text": text, "paragraphs": paragraphs, "form": CommentForm()},
        ),
    )


def charter(request: HttpRequest) -> HttpResponse:
    return _public(
        request, render(request, "forum/charter.html", {"charter": selectors.charter_current()})
    )


def log(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ModerationAction.Kind.values:
        kind = ""
    page = Paginator(selectors.public_log(kind=kind), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "kind": kind,
        "kinds": ModerationAction.Kind.choices,
        "query": f"kind={kind}" if kind else "",
        "level_labels": dict(Level.choices),
    }
    return _public(request, render(request, "forum/log.html", context))


def _member_or_404(user_id: int) -> User:
    try:
        return selectors.access_member(user_id=user_id)
    except NotFound as error:
        raise Http404(error.message) from None


def _ban_durations(user: User) -> tuple[int | None, ...]:
    if services.common.is_staff(user):
        return services.moderation.STAFF_BAN_DAYS
    return services.moderation.MODERATOR_BAN_DAYS


def member(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _member_or_404(user_id)
    data = selectors.level_page(member=person)
    viewer = cast(User, request.user)
    is_self = viewer.is_authenticated and viewer.pk == person.pk
    staff = services.common.is_staff(viewer)
    may_ban = (
        viewer.is_authenticated
        and services.can_ban(user=viewer)
        and services.can_be_banned(actor=viewer, user=person)
    )
    # Whether and until when a member is banned: shown to them, to staff and to those who
    # may ban (the public log names no banned account).
    ban = selectors.ban_state(profile=data.profile) if is_self or staff or may_ban else None
    clauses = selectors.clauses_current() if may_ban else []
    context: dict[str, Any] = {
        "member": person,
        "data": data,
        "is_self": is_self,
        "staff": staff,
        "ban": ban,
        "level_form": LevelForm(initial={"level": data.profile.manual_level}) if staff else None,
        "ban_form": (
            BanForm(clauses=clauses, durations=_ban_durations(viewer), prefix="ban")
            if may_ban
            else None
        ),
        "lift_form": (
            BanLiftForm(clauses=clauses, prefix="lift") if staff and ban and may_ban else None
        ),
        "levels": Level.choices,
        "conf": {
            "limit_posts": conf("new_contributions_per_day"),
            "limit_links": conf("new_max_links"),
        },
    }
    return render(request, "forum/member.html", context)


@member_required
def me(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.profile_get(user=request.user)
    return redirect("forum:member", request.user.pk)


@require_POST
@member_required
def me_log_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.profile_show_name_in_log(user=request.user, show=request.POST.get("show") == "1")
    messages.success(request, _("Préférence enregistrée."))
    return redirect("forum:member", request.user.pk)


@require_POST
@role_required(Role.STAFF)
def member_level(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    person = selectors.access_member(user_id=user_id)
    form = LevelForm(request.POST)
    if form.is_valid():
        raw = form.cleaned_data["level"]
        try:
            services.level_set_manual(
                actor=request.user,
                user=person,
                level=int(raw) if raw != "" else None,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            _error(request, error)
        else:
            messages.success(request, _("Niveau enregistré."))
    else:
        messages.error(request, _("Donnez un motif."))
    return redirect("forum:member", person.pk)


def _first_error(form: Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("Formulaire invalide.")


@require_POST
@member_required
def member_ban(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Moderators (1, 3 or 7 days) and staff (up to without limit) ban a member, citing a
    clause; the service checks the same rules again."""
    person = _member_or_404(user_id)
    if not services.can_ban(user=request.user):
        raise PermissionDenied(_("Seuls les modérateurs et l'équipe de campagne bannissent."))
    form = BanForm(
        request.POST,
        clauses=selectors.clauses_current(),
        durations=_ban_durations(request.user),
        prefix="ban",
    )
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("forum:member", person.pk)
    try:
        services.ban_create(
            actor=request.user,
            user=person,
            days=form.cleaned_data["duration"],
            clause=selectors.access_clause(clause_id=form.cleaned_data["clause"]),
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        _error(request, error)
    else:
        messages.success(
            request,
            _("%(name)s est banni·e du forum (%(duration)s) ; le journal public le note.")
            % {
                "name": services.profile_get(user=person).display_name,
                "duration": services.ban_duration_label(form.cleaned_data["duration"]),
            },
        )
    return redirect("forum:member", person.pk)


@require_POST
@role_required(Role.STAFF)
def member_ban_lift(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    person = _member_or_404(user_id)
    form = BanLiftForm(request.POST, clauses=selectors.clauses_current(), prefix="lift")
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("forum:member", person.pk)
    try:
        services.ban_lift(
            actor=request.user,
            user=person,
            clause=selectors.access_clause(clause_id=form.cleaned_data["clause"]),
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        _error(request, error)
    else:
        messages.success(request, _("Bannissement levé."))
    return redirect("forum:member", person.pk)


@member_required
def queue(request: AuthenticatedHttpRequest, slug: str | None = None) -> HttpResponseBase:
    current = None
    if slug:
        try:
            current = selectors.access_theme(slug=slug)
        except NotFound as error:
            raise Http404(error.message) from None
    staff = services.common.is_staff(request.user)
    if current is not None and not services.can_moderate_theme(
        user=request.user, theme_id=current.pk
    ):
        raise Http404
    state = request.GET.get("state", "pending")
    filters = selectors.QueueFilters(
        theme=current, state="hidden" if state == "hidden" else "pending"
    )
    contributions, comments = selectors.moderation_queue(user=request.user, filters=filters)
    clauses = selectors.clauses_current()
    form = QueueActionForm(
        clauses=clauses,
        contribution_ids=[c.pk for c in contributions],
        comment_ids=[c.pk for c in comments],
    )
    if request.method == "POST":
        form = QueueActionForm(
            request.POST,
            clauses=clauses,
            contribution_ids=[c.pk for c in contributions],
            comment_ids=[c.pk for c in comments],
        )
        if form.is_valid():
            chosen_c = set(form.cleaned_data["contributions"])
            chosen_m = set(form.cleaned_data["comments"])
            items: list[Contribution | Comment] = [c for c in contributions if c.pk in chosen_c]
            items += [c for c in comments if c.pk in chosen_m]
            try:
                actions = services.moderation_decide(
                    actor=request.user,
                    items=items,
                    kind=form.cleaned_data["action"],
                    clause=selectors.access_clause(clause_id=form.cleaned_data["clause"]),
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as error:
                _error(request, error)
            else:
                messages.success(
                    request, _("%(count)s décision(s) enregistrée(s).") % {"count": len(actions)}
                )
                return redirect(request.get_full_path())
        else:
            messages.error(request, _("Choisissez une action et l'article de la charte cité."))
    moderated = [
        t
        for t in selectors.theme_list()
        if staff or services.can_moderate_theme(user=request.user, theme_id=t.pk)
    ]
    if (
        not staff
        and current is None
        and not moderated
        and not selectors.appeals_for(user=request.user)
    ):
        raise Http404
    context = {
        "theme": current,
        "themes": moderated,
        "state": filters.state,
        "contributions": contributions,
        "comments": comments,
        "form": form,
        "appeals": selectors.appeals_for(user=request.user),
        "decision_form": AppealDecisionForm(clauses=clauses),
        "staff": staff,
    }
    return render(request, "forum/queue.html", context)


@member_required
def appeal(request: AuthenticatedHttpRequest, action_id: int) -> HttpResponse:
    try:
        action = selectors.access_action(action_id=action_id)
    except NotFound as error:
        raise Http404(error.message) from None
    if action.target_user_id != request.user.pk:
        raise Http404
    form = AppealForm()
    if request.method == "POST":
        form = AppealForm(request.POST)
        if form.is_valid():
            try:
                services.appeal_create(
                    author=request.user, action=action, text=form.cleaned_data["text"]
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Votre appel est transmis à un autre modérateur."))
                return redirect("forum:appeal", action.pk)
    existing = getattr(action, "appeal", None) if hasattr(action, "appeal") else None
    return render(
        request, "forum/appeal.html", {"action": action, "form": form, "existing": existing}
    )


@require_POST
@member_required
def appeal_decide(request: AuthenticatedHttpRequest, appeal_id: int) -> HttpResponse:
    try:
        current = selectors.access_appeal(appeal_id=appeal_id)
    except NotFound as error:
        raise Http404(error.message) from None
    form = AppealDecisionForm(request.POST, clauses=selectors.clauses_current())
    if form.is_valid():
        try:
            services.appeal_decide(
                actor=request.user,
                appeal=current,
                overturn=form.cleaned_data["overturn"],
                clause=selectors.access_clause(clause_id=form.cleaned_data["clause"]),
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            _error(request, error)
        else:
            messages.success(request, _("Appel tranché."))
    else:
        messages.error(request, _("Choisissez une décision et l'article de la charte cité."))
    return redirect("forum:queue")


@member_required
def meta(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = services.profile_get(user=request.user)
    if request.method == "POST":
        try:
            action = selectors.access_action(action_id=int(request.POST.get("action", "0")))
            services.meta_moderation_record(
                judge=request.user, action=action, fair=request.POST.get("fair") == "1"
            )
        except (ApplicationError, ValueError) as error:
            messages.error(request, getattr(error, "message", _("Verdict invalide.")))
        else:
            messages.success(request, _("Merci pour votre verdict."))
        return redirect("forum:meta")
    sample = (
        selectors.meta_moderation_sample(user=request.user, size=conf("meta_sample_size"))
        if profile.level >= Level.FLAGGER
        else []
    )
    return render(
        request, "forum/meta.html", {"profile": profile, "sample": sample, "flagger": Level.FLAGGER}
    )


def synthesis(request: HttpRequest, synthesis_id: int) -> HttpResponse:
    try:
        item = selectors.access_synthesis(synthesis_id=synthesis_id, user=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    can_publish = item.published_at is None and services.can_synthesise(
        user=cast(User, request.user), theme=item.theme
    )
    return render(
        request,
        "forum/synthesis.html",
        {
            "synthesis": item,
            "citations": item.citations.select_related("author__forum_profile"),
            "can_publish": can_publish,
        },
    )


@member_required
def synthesis_new(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    try:
        current = selectors.access_theme(slug=slug)
    except NotFound as error:
        raise Http404(error.message) from None
    if not services.can_synthesise(user=request.user, theme=current):
        raise Http404
    form = SynthesisForm()
    if request.method == "POST":
        form = SynthesisForm(request.POST)
        if form.is_valid():
            try:
                item = services.synthesis_create(
                    author=request.user,
                    theme=current,
                    title=form.cleaned_data["title"],
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    body=form.cleaned_data["body"],
                    citation_ids=form.cleaned_data["citations"],
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                return redirect("forum:synthesis", item.pk)
    return render(request, "forum/synthesis_new.html", {"theme": current, "form": form})


@require_POST
@member_required
def synthesis_publish(request: AuthenticatedHttpRequest, synthesis_id: int) -> HttpResponse:
    item = selectors.access_synthesis(synthesis_id=synthesis_id, user=request.user)
    try:
        services.synthesis_publish(actor=request.user, synthesis=item)
    except ApplicationError as error:
        _error(request, error)
    else:
        messages.success(request, _("Synthèse publiée ; les contributeurs cités sont prévenus."))
    return redirect("forum:synthesis", item.pk)


@member_required
def manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff (and founders, for themes): create a theme, publish the charter, a programme text,
    appoint a theme's moderators and synthesisers."""
    profile = services.profile_get(user=request.user)
    staff = services.common.is_staff(request.user)
    if not staff and profile.level < Level.FOUNDER:
        raise Http404
    forms_: dict[str, Any] = {
        "theme": ThemeForm(prefix="theme"),
        "charter": CharterForm(prefix="charter") if staff else None,
        "programme": ProgrammeForm(prefix="programme") if staff else None,
        "appoint": AppointForm(prefix="appoint"),
    }
    if request.method == "POST":
        which = request.POST.get("form", "")
        form: Form
        try:
            if which == "theme":
                form = forms_["theme"] = ThemeForm(request.POST, prefix="theme")
                if form.is_valid():
                    made = services.theme_create(actor=request.user, **form.cleaned_data)
                    return redirect("forum:theme", made.slug)
            elif which == "charter" and staff:
                form = forms_["charter"] = CharterForm(request.POST, prefix="charter")
                if form.is_valid():
                    services.charter_publish(
                        actor=request.user,
                        introduction=form.cleaned_data["introduction"],
                        clauses=services.parse_clauses(form.cleaned_data["clauses"]),
                    )
                    return redirect("forum:charter")
            elif which == "programme" and staff:
                form = forms_["programme"] = ProgrammeForm(request.POST, prefix="programme")
                if form.is_valid():
                    text = services.programme_text_publish(actor=request.user, **form.cleaned_data)
                    return redirect("forum:programme", text.slug)
            elif which == "appoint":
                form = forms_["appoint"] = AppointForm(request.POST, prefix="appoint")
                target_theme = selectors.access_theme(slug=request.POST.get("theme_slug", ""))
                if form.is_valid():
                    person = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
                    if person is None:
                        raise ApplicationError(_("Aucun compte avec cette adresse."))
                    services.theme_appoint(
                        actor=request.user,
                        theme=target_theme,
                        user=person,
                        role=form.cleaned_data["role"],
                    )
                    messages.success(request, _("Nomination enregistrée."))
                    return redirect("forum:manage")
        except ApplicationError as error:
            messages.error(request, error.message)
    return render(
        request,
        "forum/manage.html",
        {"forms": forms_, "staff": staff, "themes": selectors.theme_list()},
    )
