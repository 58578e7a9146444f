"""The segment filter registry: one registered class per `field` of a segment definition.

A filter class is the one home of what its field means. It validates a definition's filter and
compiles it to a `Q` on Person (`q`), says it in words (`describe`), and maps it to and from the
segment builder's flat fields (`form_fields`, `from_form`, `to_form`). The engine
(`selectors.segments`) and the builder (`forms.SegmentBuilderForm`) only walk groups and ask
the registry; neither names a filter. Adding a filter is adding one class with `@register`.

Filters live in each app's own `segment_filters` module (a module or a package), imported once
by `autodiscover` (at startup, from `PeopleConfig.ready`), so canvassing or messaging can add
"visited", "called" or "emailed" without editing this app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib import import_module
from typing import Any, ClassVar, TypeVar

from django import forms
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError

Item = dict[str, Any]


class SegmentError(ApplicationError):
    """A definition that cannot be compiled; the message says which filter and why."""


@dataclass(frozen=True)
class CompileContext:
    """What compiling a filter may need beyond the filter itself."""

    today: date
    # Ids of the saved segments being compiled, outermost first (to refuse cycles).
    stack: tuple[int, ...]
    # Compiles a nested definition (a saved segment's) with the given stack.
    group_q: Callable[[Any, tuple[int, ...]], Q]


@dataclass(frozen=True)
class DescribeContext:
    """What describing a filter may need: names read once for a whole page by the caller."""

    segment_names: Mapping[int, str]


class SegmentFilter:
    """One filter of a segment definition, `{"field": <field>, ...keys}`.

    Subclasses set `field` (the key in definitions, never renamed once saved) and `order` (its
    place in the builder and in the definitions the builder writes), and implement `q` and
    `describe`; the builder methods are optional (a filter without them is JSON-only).
    """

    field: ClassVar[str]
    order: ClassVar[int] = 500
    # Whether `to_form` is also offered negated items and groups whose members are all this
    # filter (else the builder shows those in the JSON field without asking).
    form_takes_negated_and_groups: ClassVar[bool] = False
    # Whether `q` depends on the item and `ctx.today` only: no database read, no clock finer
    # than the day. A segment made only of such filters has its SQL compiled once per day
    # on its page (`segment_compiles_once`, #17). Off unless a filter says so.
    compiles_once: ClassVar[bool] = False

    # -- the engine -------------------------------------------------------------------------

    def q(self, flt: Item, ctx: CompileContext) -> Q:
        """Validate the filter and compile it to a condition on Person itself (a column or an
        EXISTS, never a join, so groups never count anyone twice). Raises SegmentError."""
        raise NotImplementedError

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        """The filter in words, in the active language. Must not fail on a bad filter."""
        raise NotImplementedError

    def referenced_segments(self, flt: Item) -> set[int]:
        """Ids of saved segments this filter names (their names are read for `describe`)."""
        return set()

    # -- the builder ------------------------------------------------------------------------

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        """The builder's flat fields for this filter (fresh instances; names unique across
        filters). `segment_id` is the segment being edited, None for a new one."""
        return {}

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        """The items this filter adds to the builder's top-level group, from its cleaned fields
        (none when they are empty). Raises SegmentError when the fields disagree."""
        return []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        """Put one item of a top-level group into `fields` (the builder's initial values).
        False when the flat fields cannot say it exactly: the builder then shows the JSON.
        Items are plain (see `form_takes_negated_and_groups`)."""
        return False

    def to_form_done(self, fields: dict[str, Any]) -> bool:
        """Last check once every item is placed (e.g. that the segments named still exist)."""
        return True

    # -- helpers for subclasses -------------------------------------------------------------

    @staticmethod
    def put(fields: dict[str, Any], name: str, value: Any) -> bool:
        """Fill one flat field, refusing an empty value or a field already taken."""
        if name in fields or value in (None, "", []):
            return False
        fields[name] = value
        return True


F = TypeVar("F", bound=type[SegmentFilter])

_registry: dict[str, SegmentFilter] = {}
_discovered = False


def register(cls: F) -> F:
    """Class decorator: make this filter's `field` mean what the class says."""
    field = getattr(cls, "field", "")
    if not field:
        raise ImproperlyConfigured(f"{cls.__qualname__} has no `field`.")
    existing = _registry.get(field)
    if existing is not None and (
        type(existing).__module__,
        type(existing).__qualname__,
    ) != (cls.__module__, cls.__qualname__):
        raise ImproperlyConfigured(
            f"Segment filter {field!r} is registered twice: "
            f"{type(existing).__module__}.{type(existing).__qualname__} and "
            f"{cls.__module__}.{cls.__qualname__}."
        )
    _registry[field] = cls()
    return cls


def autodiscover() -> None:
    """Import every project app's `segment_filters` module once, so their filters register."""
    global _discovered
    if _discovered:
        return
    for config in apps.get_app_configs():
        if not config.name.startswith("maillage."):
            continue
        name = f"{config.name}.segment_filters"
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a broken import inside the module must not pass silently
                raise
    _discovered = True


def segment_filters() -> list[SegmentFilter]:
    """Every registered filter, in the builder's order."""
    autodiscover()
    return sorted(_registry.values(), key=lambda flt: (flt.order, flt.field))


def segment_filter(field: Any) -> SegmentFilter | None:
    autodiscover()
    return _registry.get(field) if isinstance(field, str) else None


# -- value helpers shared by filters --------------------------------------------------------


def values_of(flt: Item, key: str = "values") -> list[Any]:
    values = flt.get(key)
    if not isinstance(values, list) or not values:
        raise SegmentError(
            _("Le filtre « %(field)s » demande au moins une valeur.") % {"field": flt.get("field")}
        )
    return values


def codes_of(flt: Item) -> list[str]:
    values = values_of(flt)
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise SegmentError(
            _("Le filtre « %(field)s » attend des codes sous forme de texte.")
            % {"field": flt.get("field")}
        )
    return [v.strip() for v in values]


def date_of(flt: Item, key: str, *, required: bool = False) -> date | None:
    raw = flt.get(key)
    if raw in (None, ""):
        if required:
            raise SegmentError(
                _("Le filtre « %(field)s » demande une date.") % {"field": flt.get("field")}
            )
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise SegmentError(
            _("Date invalide dans le filtre « %(field)s » : %(value)s.")
            % {"field": flt.get("field"), "value": raw}
        ) from None


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def labels_of(values: Any, labels: Mapping[Any, Any]) -> str:
    """Values in words, joined by "or" (any of them matches)."""
    items = values if isinstance(values, list) else []
    return _(" ou ").join(str(labels.get(v, v)) for v in items)


def day_words(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def iso_or_none(value: Any) -> str | None:
    """A builder date field's cleaned value as a definition stores it."""
    return value.isoformat() if value else None


def split_codes(text: str) -> list[str]:
    """Codes typed in one text field, separated by commas, semicolons or new lines."""
    return [
        part.strip()
        for part in text.replace(";", ",").replace("\n", ",").split(",")
        if part.strip()
    ]


def joined(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


class CodesFilter(SegmentFilter):
    """A filter on codes typed in one text field (communes, polling stations…): any of them."""

    form_name: ClassVar[str]
    label: ClassVar[Any]
    help_text: ClassVar[Any] = ""
    # The description, with %(codes)s; translated as a whole so word order can change.
    wording: ClassVar[Any]

    def describe(self, flt: Item, ctx: DescribeContext) -> str:
        values = flt.get("values")
        codes = joined(values) if isinstance(values, list) else ""
        return str(self.wording % {"codes": codes})

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {
            self.form_name: forms.CharField(
                label=self.label, required=False, help_text=self.help_text
            )
        }

    def codes_from_form(self, codes: list[str]) -> list[str]:
        return codes

    def from_form(self, data: Mapping[str, Any]) -> list[Item]:
        codes = split_codes(data.get(self.form_name) or "")
        return [{"field": self.field, "values": self.codes_from_form(codes)}] if codes else []

    def to_form(self, item: Item, fields: dict[str, Any]) -> bool:
        values = item.get("values")
        if not isinstance(values, list) or any("," in str(v) for v in values):
            return False
        return self.put(fields, self.form_name, joined(values))


def is_group(item: Mapping[str, Any]) -> bool:
    """A nested group (`op`, `filters`) rather than one filter: how the engine reads it."""
    return "op" in item or "filters" in item
