"""The one segment engine: a definition (JSON) compiled to one QuerySet of people.

Every filter becomes a condition on Person itself (a column or an EXISTS subquery), never a
join, so OR-ing two segments counts a person once and the count, the list page and the CSV
export all come from the same query. Definitions are described in docs/segments.md.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.errors import ApplicationError, NotFound
from maillage.core.roles import Role, has_role
from maillage.people.models import (
    ROLE_LABELS,
    Channel,
    Interaction,
    Person,
    PersonTag,
    Segment,
    Sex,
    SupportLevel,
)
from maillage.people.normalise import fold
from maillage.people.selectors.people import people_visible_to, reachable_q, support_visible_to

FIELDS = (
    "age",
    "sex",
    "commune",
    "polling_station",
    "constituency",
    "tag",
    "role",
    "support",
    "support_change",
    "last_interaction",
    "reachable",
    "not_contacted_since",
    "segment",
)
ROLES = ("voter", "contact", "sympathiser", "member", "activist", "volunteer")
# The channels of the `reachable` filter, as the builder offers them and a description says them.
REACHABLE_LABELS = {
    "email": gettext_lazy("par e-mail"),
    "sms": gettext_lazy("par SMS"),
    "phone": gettext_lazy("par téléphone"),
}
REACHABLE_CHANNELS = tuple(REACHABLE_LABELS)
MAX_DEPTH = 8


class SegmentError(ApplicationError):
    """A definition that cannot be compiled; the message says which filter and why."""


def _values(flt: dict[str, Any], key: str = "values") -> list[Any]:
    values = flt.get(key)
    if not isinstance(values, list) or not values:
        raise SegmentError(f"Le filtre « {flt.get('field')} » demande au moins une valeur.")
    return values


def _strings(flt: dict[str, Any]) -> list[str]:
    values = _values(flt)
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise SegmentError(
            f"Le filtre « {flt.get('field')} » attend des codes sous forme de texte."
        )
    return [v.strip() for v in values]


def _support_levels(flt: dict[str, Any], key: str) -> list[int]:
    values = _values(flt, key)
    allowed = set(SupportLevel.values)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v in allowed for v in values):
        raise SegmentError("Un niveau de soutien va de 1 (pour) à 5 (contre).")
    return values


def _date(flt: dict[str, Any], key: str, *, required: bool = False) -> date | None:
    raw = flt.get(key)
    if raw in (None, ""):
        if required:
            raise SegmentError(f"Le filtre « {flt.get('field')} » demande une date.")
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise SegmentError(
            f"Date invalide dans le filtre « {flt.get('field')} » : {raw}."
        ) from None


def _start_of(day: date) -> Any:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _age(flt: dict[str, Any], today: date) -> Q:
    low, high = flt.get("min"), flt.get("max")
    for bound in (low, high):
        if bound is not None and (
            not isinstance(bound, int) or isinstance(bound, bool) or not 0 <= bound <= 130
        ):
            raise SegmentError("Un âge est un nombre entier entre 0 et 130.")
    if low is None and high is None:
        raise SegmentError("Le filtre d'âge demande un minimum, un maximum ou les deux.")
    if low is not None and high is not None and low > high:
        raise SegmentError(f"Tranche d'âge impossible : de {low} à {high} ans.")
    # Age in the calendar year (as on the roll, where many birth dates are a year alone), so
    # the filter is a range on birth_year that the composite indexes serve.
    q = Q(birth_year__isnull=False)
    if low is not None:
        q &= Q(birth_year__lte=today.year - low)
    if high is not None:
        q &= Q(birth_year__gte=today.year - high)
    return q


def _filter_q(flt: dict[str, Any], *, stack: tuple[int, ...], today: date) -> Q:
    if not isinstance(flt, dict):
        raise SegmentError("Chaque filtre est un objet JSON.")
    if "filters" in flt or "op" in flt:
        q = _group_q(flt, stack=stack, today=today)
    else:
        q = _leaf_q(flt, stack=stack, today=today)
    return ~q if flt.get("negate") else q


def _leaf_q(flt: dict[str, Any], *, stack: tuple[int, ...], today: date) -> Q:
    field = flt.get("field")
    if field == "age":
        return _age(flt, today)
    if field == "sex":
        value = flt.get("value")
        if value not in (Sex.FEMALE, Sex.MALE):
            raise SegmentError("Le filtre de sexe attend « F » ou « M ».")
        return Q(sex=value)
    if field == "commune":
        return Q(commune_code__in=_strings(flt))
    if field == "polling_station":
        return Q(polling_station_code__in=_strings(flt))
    if field == "constituency":
        return Q(constituency_code__in=_strings(flt))
    if field == "tag":
        tagged = PersonTag.objects.filter(
            person_id=OuterRef("pk"),
            tag__slug__in=[fold(v).replace(" ", "-") for v in _strings(flt)],
        )
        return Q(Exists(tagged))
    if field == "role":
        roles = _values(flt)
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise SegmentError(f"Rôle inconnu : {', '.join(map(str, unknown))}.")
        q = Q()
        for role in roles:
            q |= Q(**{f"is_{role}": True})
        return q
    if field == "support":
        return Q(current_support__in=_support_levels(flt, "values"))
    if field == "support_change":
        was = Interaction.objects.filter(
            person_id=OuterRef("pk"), support_level__in=_support_levels(flt, "from")
        )
        return Q(current_support__in=_support_levels(flt, "to")) & Q(Exists(was))
    if field == "last_interaction":
        interactions = Interaction.objects.filter(person_id=OuterRef("pk"))
        channel, result = flt.get("channel"), flt.get("result")
        if channel:
            if channel not in Channel.values:
                raise SegmentError(f"Canal inconnu : {channel}.")
            interactions = interactions.filter(channel=channel)
        if result:
            if result not in Interaction.Result.values:
                raise SegmentError(f"Résultat inconnu : {result}.")
            interactions = interactions.filter(result=result)
        since, until = _date(flt, "since"), _date(flt, "until")
        if since and until and since > until:
            raise SegmentError("La période du dernier contact finit avant de commencer.")
        if since:
            interactions = interactions.filter(occurred_at__gte=_start_of(since))
        if until:
            interactions = interactions.filter(occurred_at__lt=_start_of(until) + timedelta(days=1))
        return Q(Exists(interactions))
    if field == "reachable":
        channel = flt.get("channel")
        if channel not in REACHABLE_CHANNELS:
            raise SegmentError("Le filtre « joignable » attend le canal email, sms ou phone.")
        return reachable_q(channel)
    if field == "not_contacted_since":
        day = _date(flt, "date", required=True)
        assert day is not None
        return Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=_start_of(day))
    if field == "segment":
        return _segment_ref_q(flt, stack=stack, today=today)
    raise SegmentError(f"Filtre inconnu : « {field} ».")


def _segment_ref_q(flt: dict[str, Any], *, stack: tuple[int, ...], today: date) -> Q:
    try:
        segment_id = int(flt.get("id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SegmentError("Le filtre « segment » demande l'identifiant d'un segment.") from None
    if segment_id in stack:
        raise SegmentError(
            "Un segment ne peut pas se contenir lui-même (directement ou par un autre segment)."
        )
    if len(stack) >= MAX_DEPTH:
        raise SegmentError("Trop de segments imbriqués.")
    definition = Segment.objects.filter(pk=segment_id).values_list("definition", flat=True).first()
    if definition is None:
        raise SegmentError(f"Le segment n°{segment_id} n'existe pas.")
    return _group_q(definition, stack=(*stack, segment_id), today=today)


def _group_q(group: dict[str, Any], *, stack: tuple[int, ...], today: date) -> Q:
    if not isinstance(group, dict):
        raise SegmentError("Une définition de segment est un objet JSON.")
    op = group.get("op", "and")
    if op not in ("and", "or"):
        raise SegmentError(f"Opérateur inconnu : « {op} » (and ou or).")
    filters = group.get("filters", [])
    if not isinstance(filters, list):
        raise SegmentError("« filters » est une liste.")
    q = Q()
    for flt in filters:
        part = _filter_q(flt, stack=stack, today=today)
        q = (q & part) if op == "and" else (q | part)
    if not filters and op == "or":
        return Q(pk__in=[])  # an empty OR matches nobody, like an empty ANY
    return q


def segment_q(
    *, definition: dict[str, Any], segment_id: int | None = None, today: date | None = None
) -> Q:
    """Compile a definition to a Q on Person; raises SegmentError with a readable message."""
    stack = (segment_id,) if segment_id else ()
    return _group_q(definition, stack=stack, today=today or timezone.localdate())


def segment_definition_validate(
    *, definition: dict[str, Any], segment_id: int | None = None
) -> None:
    segment_q(definition=definition, segment_id=segment_id)


def segment_queryset(
    *, user: Any, definition: dict[str, Any], segment_id: int | None = None
) -> QuerySet[Person]:
    """The people of a segment that this user may see: one QuerySet, no query run yet (only
    referenced segments' definitions are read while compiling)."""
    return people_visible_to(user=user).filter(
        segment_q(definition=definition, segment_id=segment_id)
    )


def segment_count(*, user: Any, definition: dict[str, Any], segment_id: int | None = None) -> int:
    return segment_queryset(user=user, definition=definition, segment_id=segment_id).count()


def segment_list(*, user: Any) -> QuerySet[Segment]:
    """The segments this user may open (see `access_segment`)."""
    if not has_role(user, Role.ORGANISER):
        return Segment.objects.none()
    segments = Segment.objects.select_related("created_by").order_by("name")
    if not support_visible_to(user=user):
        segments = segments.exclude(pk__in=segment_ids_using_support())
    return segments


# Filters that select by support level: a segment using one, even through another segment,
# lists people by political opinion, so only roles that may see support open it.
SUPPORT_FIELDS = frozenset({"support", "support_change"})


def _uses_support(definition: Any, definitions: dict[int, Any], seen: frozenset[int]) -> bool:
    if not isinstance(definition, dict):
        return False
    if definition.get("field") in SUPPORT_FIELDS:
        return True
    referenced = definition.get("id") if definition.get("field") == "segment" else None
    if isinstance(referenced, int) and referenced not in seen:
        return _uses_support(definitions.get(referenced), definitions, seen | {referenced})
    filters = definition.get("filters")
    return any(
        _uses_support(item, definitions, seen)
        for item in (filters if isinstance(filters, list) else [])
    )


def segment_ids_using_support() -> set[int]:
    """Ids of the segments that select by support, directly or through another (one query)."""
    definitions = dict(Segment.objects.values_list("pk", "definition"))
    return {pk for pk, d in definitions.items() if _uses_support(d, definitions, frozenset({pk}))}


def access_segment(*, user: Any, segment_id: int | str) -> Segment:
    """Organisers and above open segments (their people come from `people_visible_to`, so an
    organiser sees the segment's people in their zones); below staff, not those selecting by
    support (`support_visible_to`)."""
    if not has_role(user, Role.ORGANISER):
        raise NotFound("Ce segment n'existe pas.")
    segment = Segment.objects.filter(pk=segment_id).first() if str(segment_id).isdigit() else None
    if segment is None or (
        not support_visible_to(user=user) and segment.pk in segment_ids_using_support()
    ):
        raise NotFound("Ce segment n'existe pas.")
    return segment


def segment_referenced_ids(definition: Any) -> set[int]:
    """Ids of the segments a definition names directly (not those they name in turn)."""
    if not isinstance(definition, dict):
        return set()
    if definition.get("field") == "segment" and isinstance(definition.get("id"), int):
        return {definition["id"]}
    found: set[int] = set()
    for item in (
        definition.get("filters", []) if isinstance(definition.get("filters"), list) else []
    ):
        found |= segment_referenced_ids(item)
    return found


def segment_names_referenced(*definitions: dict[str, Any]) -> dict[int, str]:
    """Names of the segments these definitions name directly: one query, none if they name none."""
    referenced: set[int] = set()
    for definition in definitions:
        referenced |= segment_referenced_ids(definition)
    if not referenced:
        return {}
    return dict(Segment.objects.filter(pk__in=referenced).values_list("pk", "name"))


def segment_definition_describe(
    definition: dict[str, Any], *, segment_names: dict[int, str] | None = None
) -> str:
    """A saved definition in words, for the segment's page: staff check what a segment means
    without reading JSON. Segment names come from the caller (one query for all of them)."""
    return _describe(definition, segment_names or {}, top=True)


def _labels(values: Any, labels: dict[Any, Any]) -> str:
    items = values if isinstance(values, list) else []
    return _(" ou ").join(str(labels.get(v, v)) for v in items)


def _day(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def _describe(item: Any, names: dict[int, str], *, top: bool = False) -> str:
    if not isinstance(item, dict):
        return "?"
    if "op" in item or "filters" in item:
        parts = [_describe(f, names) for f in item.get("filters", [])]
        if not parts:
            text = str(
                _("tout le monde") if item.get("op", "and") == "and" else _("aucune personne")
            )
        elif len(parts) == 1:
            text = parts[0]
        else:
            joiner = _(" ET ") if item.get("op", "and") == "and" else _(" OU ")
            text = str(joiner).join(parts)
            text = text if top and not item.get("negate") else f"({text})"
    else:
        text = _describe_leaf(item, names)
    return str(_("NON %(condition)s") % {"condition": text}) if item.get("negate") else text


def _describe_leaf(flt: dict[str, Any], names: dict[int, str]) -> str:
    field = flt.get("field")
    values = ", ".join(str(v) for v in flt.get("values", []) if isinstance(flt.get("values"), list))
    if field == "age":
        low, high = flt.get("min"), flt.get("max")
        if low is not None and high is not None:
            return str(_("de %(min)s à %(max)s ans") % {"min": low, "max": high})
        if low is not None:
            return str(_("%(min)s ans et plus") % {"min": low})
        return str(_("%(max)s ans et moins") % {"max": high})
    if field == "sex":
        sex = str(flt.get("value"))
        return str(dict(Sex.choices).get(sex, sex))
    if field in ("commune", "polling_station", "constituency", "tag"):
        wording = {
            "commune": _("commune : %(codes)s"),
            "polling_station": _("bureau de vote : %(codes)s"),
            "constituency": _("circonscription : %(codes)s"),
            "tag": _("étiquette : %(codes)s"),
        }[field]
        return str(wording % {"codes": values})
    if field == "role":
        return str(_("rôle : %(roles)s") % {"roles": _labels(flt.get("values"), ROLE_LABELS)})
    if field == "support":
        levels = _labels(flt.get("values"), dict(SupportLevel.choices))
        return str(_("soutien actuel : %(levels)s") % {"levels": levels})
    if field == "support_change":
        return str(
            _("était %(before)s, est maintenant %(now)s")
            % {
                "before": _labels(flt.get("from"), dict(SupportLevel.choices)),
                "now": _labels(flt.get("to"), dict(SupportLevel.choices)),
            }
        )
    if field == "last_interaction":
        text = str(_("contacté·e"))
        if flt.get("channel"):
            channel = dict(Channel.choices).get(flt["channel"], flt["channel"])
            text += " " + str(_("par %(channel)s") % {"channel": channel})
        if flt.get("result"):
            result = dict(Interaction.Result.choices).get(flt["result"], flt["result"])
            text += " " + str(_("avec le résultat « %(result)s »") % {"result": result})
        if flt.get("since"):
            text += " " + str(_("depuis le %(day)s") % {"day": _day(flt["since"])})
        if flt.get("until"):
            text += " " + str(_("jusqu'au %(day)s") % {"day": _day(flt["until"])})
        return text
    if field == "reachable":
        channel = flt.get("channel")
        return str(
            _("joignable avec consentement %(channel)s")
            % {"channel": REACHABLE_LABELS.get(channel, channel)}  # type: ignore[arg-type]
        )
    if field == "not_contacted_since":
        return str(_("pas contacté·e depuis le %(day)s") % {"day": _day(flt.get("date"))})
    if field == "segment":
        name = names.get(flt.get("id"))  # type: ignore[arg-type]
        if name is None:
            return str(_("segment n°%(id)s (supprimé)") % {"id": flt.get("id")})
        return str(_("dans le segment « %(name)s »") % {"name": name})
    return str(field)
