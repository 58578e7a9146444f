"""The contact sheet's body, built as one escaped string (#17).

The sheet is the page a volunteer opens most, once a door. Through the template engine its
body (eight panels, 31 translations, 50 variables, date and number filters) took more CPU
than its eight reads; here each panel is a small function that prints what the template
printed: every value through `core.html.escape`, translations as they are (as `{% translate %}`
prints them: the project's own text), dates in the user's time zone and numbers in their
language as the template's filters did. The view (`people.views.people._sheet`) passes
it to `people/person_detail.html`, which prints it as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext_lazy
from django.utils.translation import gettext as _

from maillage.core.html import escape, id_url
from maillage.people.models import Consent, ConsentChannel, Interaction, Person, Sex
from maillage.people.selectors.people import PersonSheetRows
from maillage.people.selectors.rows import truncate

# Words that agree with the person's sex when it is known (the inclusive form otherwise).
_WORDS: dict[str, dict[str, Any]] = {
    Sex.FEMALE: {
        "born": pgettext_lazy("femme", "née"),
        "born_in": pgettext_lazy("femme", "née à"),
        "voter": pgettext_lazy("femme", "électrice"),
        "member": pgettext_lazy("femme", "adhérente"),
        "activist": pgettext_lazy("femme", "militante"),
    },
    Sex.MALE: {
        "born": pgettext_lazy("homme", "né"),
        "born_in": pgettext_lazy("homme", "né à"),
        "voter": pgettext_lazy("homme", "électeur"),
        "member": pgettext_lazy("homme", "adhérent"),
        "activist": pgettext_lazy("homme", "militant"),
    },
    Sex.UNKNOWN: {
        "born": gettext_lazy("née / né"),
        "born_in": gettext_lazy("né·e à"),
        "voter": gettext_lazy("électeur·rice"),
        "member": gettext_lazy("adhérent·e"),
        "activist": gettext_lazy("militant·e"),
    },
}


@dataclass
class SupportStep:
    """One change of the support history ("Indécis → Plutôt pour")."""

    value: int | None
    level: str
    previous: str | None
    since: datetime
    last: datetime
    repeats: int = 0  # times the same level was said again after `since`


def support_steps(interactions: Iterable[Interaction]) -> list[SupportStep]:
    """The support history as changes, oldest first: a level said again is counted on its
    step (`repeats`, `last`), not listed once more."""
    steps: list[SupportStep] = []
    said = sorted((i for i in interactions if i.support_level), key=lambda i: (i.occurred_at, i.pk))
    for interaction in said:
        if steps and steps[-1].value == interaction.support_level:
            steps[-1].repeats += 1
            steps[-1].last = interaction.occurred_at
            continue
        steps.append(
            SupportStep(
                value=interaction.support_level,
                level=interaction.get_support_level_display(),
                previous=steps[-1].level if steps else None,
                since=interaction.occurred_at,
                last=interaction.occurred_at,
            )
        )
    return steps


def _day(moment: datetime | date | None) -> str:
    """`|date:"d/m/Y"`: in the current time zone for an aware moment."""
    if moment is None:
        return ""
    if isinstance(moment, datetime) and timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%d/%m/%Y")


def _minute(moment: datetime) -> str:
    """`|date:"d/m/Y H:i"`."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%d/%m/%Y %H:%M")


@lru_cache(maxsize=16)
def _labels(language: str | None) -> dict[str, str]:
    """The sheet's fixed words in `language`, the active one (its key here): asked once per
    language and process, and outside the f-strings that print them, where makemessages
    would not see them."""
    return {
        "current_support": _("Soutien actuel :"),
        "address": _("Adresse"),
        "station": _("Bureau"),
        "constituency": _("circonscription"),
        "geocoding": _("Géocodage :"),
        "household": _("Même foyer"),
        "yes": _("oui"),
        "no": _("non"),
        "no_contact": _("Aucune coordonnée."),
        "contacts": _("Coordonnées et consentements"),
        "channel": _("Canal"),
        "consent": _("Consentement"),
        "basis": _("Base légale, source"),
        "record_consent": _("Enregistrer un consentement"),
        "record": _("Enregistrer"),
        "record_result_title": _("Enregistrer un résultat"),
        "record_result": _("Enregistrer le résultat"),
        "support_history": _("Évolution du soutien"),
        "by": _("par"),
        "question": _("Question :"),
        "interactions": _("Historique des échanges"),
        "notes": _("Notes"),
        "gdpr": _("Données personnelles (RGPD)"),
        "sources": _("Sources :"),
        "erase": _("Effacer cette personne"),
    }


def _heading(person: Person, words: dict[str, Any], tags: list[Any], age: int | None) -> str:
    labels = _labels(get_language())
    last = person.usage_name or person.birth_name
    born = ""
    if person.usage_name and person.birth_name and person.usage_name != person.birth_name:
        born = (
            f" <small>({escape(words['born'])} {escape(truncate(person.birth_name, 100))})</small>"
        )
    facts = ""
    if person.birth_year:
        facts = escape(person.birth_date_display)
        if age:
            # `{% blocktranslate %}`: the values escaped, the translation printed as it is.
            facts += " · " + _("%(age)s ans") % {"age": escape(age)}
    if person.birth_place:
        facts += f" · {escape(words['born_in'])} {escape(person.birth_place)}"
    badges = "".join(f' <span class="badge">{escape(tag.name)}</span>' for tag in tags)
    for flag, word in (
        (person.is_voter, "voter"),
        (person.is_member, "member"),
        (person.is_activist, "activist"),
    ):
        if flag:
            badges += f' <span class="badge ok">{escape(words[word])}</span>'
    html = (
        f'<h1 data-testid="person-name">{escape(truncate(person.first_names, 100))} '
        f"{escape(truncate(last, 100))}{born}</h1>\n<p>{facts}{badges}</p>\n"
    )
    support = person.current_support
    if support:
        tone = "ok" if support <= 2 else "bad" if support >= 4 else "warn"
        html += (
            f'<p data-testid="current-support">{labels["current_support"]} '
            f'<span class="badge {tone}">{escape(person.get_current_support_display())}</span></p>\n'
        )
    return html


def _address_panel(person: Person, household: list[Person]) -> str:
    labels = _labels(get_language())
    lines = f"{escape(person.address_number)} {escape(person.address_street)}"
    if person.address_complement:
        lines += f"<br>{escape(person.address_complement)}"
    if person.address_locality:
        lines += f"<br>{escape(person.address_locality)}"
    lines += f"<br>{escape(person.postcode)} {escape(person.commune_name)}"
    geocoding = _("pas encore")
    if person.geocode_status:
        found = person.latitude is not None
        geocoding = (
            f'<span class="badge {"ok" if found else "warn"}">'
            f"{escape(person.get_geocode_status_display())}</span>"
        )
        if found:
            geocoding += (
                f" {escape(floatformat(person.latitude, 5))},"
                f" {escape(floatformat(person.longitude, 5))}"
            )
            if person.geocode_score is not None:
                geocoding += " · " + _("score %(score)s/100") % {
                    "score": escape(person.geocode_score)
                }
        geocoding += f" · {escape(_day(person.geocoded_at))}"
    html = (
        f'<section class="panel">\n  <h2>{labels["address"]}</h2>\n  <p>{lines}</p>\n'
        f"  <p><small>{labels['station']} {escape(person.polling_station_code or '—')}"
        f" · {labels['constituency']} {escape(person.constituency_code or '—')}</small></p>\n"
        f'  <p data-testid="geocoding"><small>{labels["geocoding"]} {geocoding}</small></p>\n'
    )
    if household:
        members = "".join(
            f'<li><a href="{escape(id_url("people:person_detail", member.pk))}">'
            f"{escape(truncate(member.display_name, 80))}</a>"
            + (f" ({escape(member.birth_year)})" if member.birth_year else "")
            + "</li>"
            for member in household
        )
        html += f"  <h3>{labels['household']}</h3>\n  <ul>{members}</ul>"
    return html + "\n</section>\n"


def _consent_row(label: str, granted: bool | None, latest: Consent | None) -> str:
    labels = _labels(get_language())
    if granted is None:
        state = "—"
    elif granted:
        state = f'<span class="badge ok">{labels["yes"]}</span>'
    else:
        state = f'<span class="badge bad">{labels["no"]}</span>'
    detail = ""
    if latest is not None:
        detail = (
            f"<small>{escape(latest.get_legal_basis_display())}, {escape(latest.source)},"
            f" {escape(_day(latest.recorded_at))}</small>"
        )
    return (
        f"\n      <tr><td>{escape(label)}</td><td>{state}</td>\n      <td>{detail}</td></tr>\n    "
    )


def _contact_panel(
    person: Person, related: PersonSheetRows, *, csrf_input: str, consent_form_html: str
) -> str:
    labels = _labels(get_language())
    items = [
        f'<li><a href="mailto:{escape(email.address)}">{escape(email.address)}</a>'
        f" <small>{escape(email.get_status_display())}</small></li>"
        for email in related.emails
    ] + [
        f'<li><a href="tel:{escape(phone.number)}">{escape(phone.number)}</a>'
        f" <small>{escape(phone.get_kind_display())} · {escape(phone.get_status_display())}</small></li>"
        for phone in related.phones
    ]
    if not items:
        items.append(f"<li>{labels['no_contact']}</li>")
    in_force = {consent.channel: consent for consent in reversed(related.consents)}
    rows = "".join(
        _consent_row(str(label), getattr(person, f"consent_{value}"), in_force.get(value))
        for value, label in ConsentChannel.choices
    )
    action = id_url("people:person_consent", person.pk)
    return (
        f'<section class="panel">\n  <h2>{labels["contacts"]}</h2>\n'
        f"  <ul>\n  {''.join(items)}\n  </ul>\n"
        '  <table class="table compact" data-testid="consents">\n'
        f"    <thead><tr><th>{labels['channel']}</th><th>{labels['consent']}</th>"
        f"<th>{labels['basis']}</th></tr></thead>\n"
        f"    <tbody>{rows}</tbody>\n  </table>\n"
        f"  <details><summary>{labels['record_consent']}</summary>\n"
        f'  <form method="post" action="{escape(action)}" data-testid="consent-form">'
        f'{csrf_input}{consent_form_html}<button type="submit" class="button secondary">'
        f"{labels['record']}</button></form>\n  </details>\n</section>\n"
    )


def _record_panel(person: Person, *, csrf_input: str, interaction_form_html: str) -> str:
    labels = _labels(get_language())
    action = id_url("people:person_interaction", person.pk)
    return (
        f'<section class="panel wide" id="record">\n  <h2>{labels["record_result_title"]}</h2>\n'
        f'  <form method="post" action="{escape(action)}" data-testid="interaction-form">'
        f"{csrf_input}\n    {interaction_form_html}\n"
        f'    <button type="submit" class="button">{labels["record_result"]}</button>\n'
        "  </form>\n</section>\n"
    )


def _support_panel(steps: list[SupportStep]) -> str:
    labels = _labels(get_language())
    items = []
    for step in steps:
        previous = f"{escape(step.previous)} → " if step.previous else ""
        repeats = ""
        if step.repeats:
            said_again = ngettext(
                "(confirmé une fois, le %(last)s)",
                "(confirmé %(repeats)s fois, jusqu'au %(last)s)",
                step.repeats,
            ) % {"repeats": escape(step.repeats), "last": escape(_day(step.last))}
            repeats = f" <small>{said_again}</small>"
        items.append(
            f"<li>{escape(_day(step.since))} : {previous}<strong>{escape(step.level)}</strong>"
            f"{repeats}</li>"
        )
    return (
        f'\n<section class="panel">\n  <h2>{labels["support_history"]}</h2>\n'
        f'  <ol class="support-history" data-testid="support-history">{"".join(items)}</ol>\n'
        "</section>\n"
    )


def _interaction_item(interaction: Interaction) -> str:
    labels = _labels(get_language())
    html = (
        f"\n    <li><strong>{escape(_minute(interaction.occurred_at))}</strong>"
        f" · {escape(interaction.get_channel_display())}"
        f" · {escape(interaction.get_result_display())}"
    )
    if interaction.support_level:
        html += f' · <span class="badge">{escape(interaction.get_support_level_display())}</span>'
    if interaction.actor:
        html += f" <small>{labels['by']} {escape(interaction.actor.short_name)}</small>"
    if interaction.note:
        html += f"<br><small>{escape(interaction.note)}</small>"
    if interaction.question:
        html += f"<br><small>{labels['question']} {escape(interaction.question)}</small>"
    return html + "</li>\n  "


def _history_panel(interactions: list[Interaction], *, wide: bool) -> str:
    labels = _labels(get_language())
    none_yet = _("Aucun échange pour l'instant.")
    items = "".join(_interaction_item(interaction) for interaction in interactions) or (
        f"<li>{none_yet}</li>"
    )
    return (
        f'\n<section class="panel{" wide" if wide else ""}">\n'
        f"  <h2>{labels['interactions']}</h2>\n"
        f'  <ul data-testid="interactions">\n  {items}\n  </ul>\n</section>\n'
    )


def _notes_panel(person: Person) -> str:
    labels = _labels(get_language())
    if not person.notes:
        return ""
    # `|linebreaksbr`: the text escaped, each line break a <br>.
    notes = escape(person.notes.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")
    return f'\n<section class="panel wide"><h2>{labels["notes"]}</h2><p>{notes}</p></section>\n'


def _gdpr_panel(person: Person) -> str:
    labels = _labels(get_language())
    sar = id_url("people:person_sar", person.pk)
    erase = id_url("people:person_erase", person.pk)
    sources = ", ".join(escape(source) for source in person.sources or []) or "—"
    as_json, as_text = _("Export d'accès (JSON)"), _("Export d'accès (texte)")
    return (
        '\n<section class="panel wide" data-testid="gdpr-actions">\n'
        f"  <h2>{labels['gdpr']}</h2>\n"
        f"  <p><small>{labels['sources']} {sources}</small></p>\n"
        f'  <p><a class="button secondary" href="{escape(sar)}">{as_json}</a>\n'
        f'  <a class="button secondary" href="{escape(sar)}?format=txt">'
        f"{as_text}</a>\n"
        f'  <a class="button danger" href="{escape(erase)}">{labels["erase"]}</a></p>\n'
        "</section>\n"
    )


def person_sheet_html(
    *,
    person: Person,
    related: PersonSheetRows,
    is_staff: bool,
    csrf_token: str,
    interaction_form_html: str,
    consent_form_html: str,
) -> SafeString:
    """The sheet's body: the person's heading, then the panels (address and household,
    contacts and consents with the consent form, the result form, the support history, the
    interactions, notes, and for staff the GDPR actions), its words agreeing with the person's
    sex; the two forms' HTML comes ready (core.form_html)."""
    words = {key: str(word) for key, word in _WORDS.get(person.sex, _WORDS[Sex.UNKNOWN]).items()}
    age = person.birth_year and (timezone.localdate().year - person.birth_year)
    csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    steps = support_steps(related.interactions)
    html = (
        _heading(person, words, related.tags, age)
        + '\n<div class="panels">\n'
        + _address_panel(person, related.household)
        + _contact_panel(
            person, related, csrf_input=csrf_input, consent_form_html=consent_form_html
        )
        + "\n"
        + _record_panel(person, csrf_input=csrf_input, interaction_form_html=interaction_form_html)
        + (_support_panel(steps) if steps else "")
        + _history_panel(related.interactions, wide=not steps)
        + _notes_panel(person)
        + (_gdpr_panel(person) if is_staff else "")
        + "</div>\n"
    )
    return mark_safe(html)  # noqa: S308 - every value above is escaped; the forms come escaped
