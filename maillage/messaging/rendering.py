"""The placeholder language of campaign messages, and Markdown to sanitised HTML + plain text.

Why not Django's template engine: a template is code its author runs; our authors are staff,
but the *values* come from imported rolls and sign-up forms. A tiny language whose only
construct is `{{ field }}` from a closed list has nothing a value could trigger, and it lets a
typo be refused when the campaign is saved (Django renders an unknown variable as "" without a
word, which would be found out in 100,000 inboxes). Values are substituted in a single pass
over the text the *author* wrote, after Markdown has been rendered once: a person named
`{{ first_name }}` or `{% load x %}` is printed as those characters (HTML-escaped in the HTML
part), never read as a placeholder, and never as Markdown either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

import nh3
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from markdown_it import MarkdownIt

from maillage.core.errors import ApplicationError

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# A stray `{%`, `{#` or unbalanced `{{`: the author may think it is Django; say it is not.
STRAY = re.compile(r"\{[%#]|\{\{(?![^{}]*\}\})")
FIELD_MARK = "mlgfield{}x"
FIELD_MARK_RE = re.compile(r"mlgfield(\d+)x")


def _first_name(p: Mapping[str, Any]) -> str:
    names = str(p.get("first_names") or "").split(" ")
    return names[0] if names else ""


def _last_name(p: Mapping[str, Any]) -> str:
    return str(p.get("usage_name") or p.get("birth_name") or "").title()


# Field name -> (label, how to read it from the person's message fields).
FIELDS: dict[str, tuple[Any, Callable[[Mapping[str, Any]], str]]] = {
    "first_name": (gettext_lazy("prénom"), _first_name),
    "last_name": (gettext_lazy("nom"), _last_name),
    "full_name": (
        gettext_lazy("prénom et nom"),
        lambda p: f"{_first_name(p)} {_last_name(p)}".strip(),
    ),
    "commune": (gettext_lazy("commune"), lambda p: str(p.get("commune_name") or "").title()),
    "polling_station": (
        gettext_lazy("bureau de vote"),
        lambda p: str(p.get("polling_station_code") or "").rpartition("_")[2].lstrip("0"),
    ),
    "postcode": (gettext_lazy("code postal"), lambda p: str(p.get("postcode") or "")),
    "unsubscribe_url": (gettext_lazy("lien de désinscription"), lambda p: str(p["_unsubscribe"])),
    "rsvp_url": (gettext_lazy("lien de réponse"), lambda p: str(p.get("_rsvp", ""))),
}


class TemplateFieldError(ApplicationError):
    """An unknown or malformed placeholder, found when the message is checked."""


def _braced(name: str) -> str:
    return "{{ " + name + " }}"


def template_check(text: str) -> list[str]:
    """The fields a text uses, in order; raises TemplateFieldError naming every bad one."""
    names = [m.group(1) for m in PLACEHOLDER.finditer(text)]
    unknown = sorted({n for n in names if n not in FIELDS})
    if unknown:
        raise TemplateFieldError(
            _("Champ inconnu : %(names)s. Champs possibles : %(known)s.")
            % {
                "names": ", ".join(_braced(n) for n in unknown),
                "known": ", ".join(_braced(n) for n in FIELDS),
            }
        )
    if STRAY.search(PLACEHOLDER.sub("", text)):
        raise TemplateFieldError(
            _(
                "Seuls les champs {{ nom_du_champ }} sont permis : pas de {%% … %%}, {# … #} ni d'accolade non fermée."
            )
        )
    return names


_markdown = MarkdownIt("commonmark", {"linkify": False, "typographer": False})
ALLOWED_TAGS = set(
    [
        "a",
        "p",
        "br",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "blockquote",
        "code",
        "pre",
        "hr",
    ]
)


@dataclass(frozen=True)
class CompiledMessage:
    """A message rendered once per campaign; `render` only substitutes the fields."""

    subject: str
    html: str
    text: str
    fields: tuple[str, ...]

    def render(self, person: Mapping[str, Any]) -> tuple[str, str, str]:
        values = [FIELDS[name][1](person) for name in self.fields]

        def html_sub(m: re.Match[str]) -> str:
            return escape(values[int(m.group(1))], quote=True)

        def text_sub(m: re.Match[str]) -> str:
            return values[int(m.group(1))]

        # Subject and text never go through HTML: newlines stripped from the subject (a header).
        subject = FIELD_MARK_RE.sub(text_sub, self.subject).replace("\r", " ").replace("\n", " ")
        return (
            subject,
            FIELD_MARK_RE.sub(html_sub, self.html),
            FIELD_MARK_RE.sub(text_sub, self.text),
        )


def compile_message(*, subject: str, body: str) -> CompiledMessage:
    """Check both texts, put a token in place of each field (tokens are letters and digits,
    which Markdown and nh3 leave alone, even inside a link), render Markdown, sanitise."""
    template_check(subject)
    template_check(body)
    fields: list[str] = []

    def tokenise(m: re.Match[str]) -> str:
        fields.append(m.group(1))
        return FIELD_MARK.format(len(fields) - 1)

    subject_t = PLACEHOLDER.sub(tokenise, subject)
    body_t = PLACEHOLDER.sub(tokenise, body)
    html = nh3.clean(
        _markdown.render(body_t),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
    return CompiledMessage(subject=subject_t, html=html, text=body_t, fields=tuple(fields))


def sample_person() -> dict[str, Any]:
    """What the preview shows when the audience is empty."""
    return {
        "first_names": "Camille",
        "usage_name": "",
        "birth_name": "EXEMPLE",
        "commune_name": "VALLON-SUR-MER",
        "polling_station_code": "13999_0001",
        "postcode": "13999",
        "_unsubscribe": "#",
        "_rsvp": "#",
    }
