"""GDPR requests: the subject-access export (everything held, JSON + readable text) and erasure
(the person and everything attached deleted; only suppression hashes remain)."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.accounts.models import User
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.models import Person, SupportLevel
from maillage.people.normalise import identity_key
from maillage.people.services.persons import GEOCODE_RESULT_FIELDS, IDENTITY_FIELDS
from maillage.people.services.retention import PersonTraces, rejected_rows_erase
from maillage.people.services.suppression import Kind, Scope, suppression_add
from maillage.people.signals import person_erasing

PERSON_TYPE = "people.person"

_ADDRESS = (
    "address_number",
    "address_street",
    "address_complement",
    "address_complement2",
    "address_locality",
    "postcode",
    "commune_name",
    "country",
    "commune_code",
    "polling_station_code",
    "constituency_code",
    "department_code",
)
_ROLES = ("is_voter", "is_contact", "is_sympathiser", "is_member", "is_activist", "is_volunteer")


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def person_subject_access_data(*, person: Person) -> dict[str, Any]:
    """Everything held on one person, as plain data."""
    support_label = dict(SupportLevel.choices)
    return {
        "generated_at": timezone.now().isoformat(),
        "id": person.pk,
        "identity": {name: getattr(person, name) for name in IDENTITY_FIELDS},
        "address": {
            **{name: getattr(person, name) for name in _ADDRESS},
            # Where the geocoder placed the address (all None when never geocoded).
            **{name: _iso(getattr(person, name)) for name in GEOCODE_RESULT_FIELDS},
        },
        "roles": [name.removeprefix("is_") for name in _ROLES if getattr(person, name)],
        "notes": person.notes,
        "sources": person.sources,
        "extra": person.extra,
        "current_support": person.current_support,
        "current_support_label": str(support_label.get(person.current_support, ""))
        if person.current_support
        else "",
        "created_at": _iso(person.created_at),
        "updated_at": _iso(person.updated_at),
        "emails": [
            {
                "address": e.address,
                "status": e.status,
                "primary": e.is_primary,
                "source": e.source,
                "added_at": _iso(e.created_at),
            }
            for e in person.emails.all()
        ],
        "phones": [
            {
                "number": p.number,
                "kind": p.kind,
                "status": p.status,
                "primary": p.is_primary,
                "source": p.source,
                "added_at": _iso(p.created_at),
            }
            for p in person.phones.all()
        ],
        "consents": [
            {
                "channel": c.channel,
                "granted": c.granted,
                "legal_basis": c.legal_basis,
                "source": c.source,
                "wording": c.wording,
                "recorded_at": _iso(c.recorded_at),
            }
            for c in person.consents.order_by("recorded_at", "id")
        ],
        "interactions": [
            {
                "occurred_at": _iso(i.occurred_at),
                "channel": i.channel,
                "result": i.result,
                "support_level": i.support_level,
                "support_label": str(support_label.get(i.support_level, ""))
                if i.support_level
                else "",
                "note": i.note,
                "question": i.question,
                "answer": i.question_answer,
                "by": i.actor.email if i.actor else "",
            }
            for i in person.interactions.select_related("actor").order_by("occurred_at", "id")
        ],
        "tags": [t.name for t in person.tags.order_by("name")],
        "lists": [pl.name for pl in person.lists.order_by("name")],
        "user_account": person.user.email if person.user_id and person.user else None,
        "audit": [
            {"at": _iso(a.at), "by": a.actor_label, "action": a.action}
            for a in AuditLogEntry.objects.filter(
                target_type=PERSON_TYPE, target_id=str(person.pk)
            ).order_by("at", "id")
        ],
    }


# The text export is rendered from the same data as the JSON, field by field: a field added to
# `person_subject_access_data` shows in both (a test holds every value of the JSON to appear in
# the text). Labels per section; a field without one still shows, under its key.
_SECTIONS: tuple[tuple[str, Any], ...] = (
    ("record", _("Fiche")),
    ("identity", _("Identité")),
    ("address", _("Adresse")),
    ("roles", _("Rôles")),
    ("emails", _("Adresses e-mail")),
    ("phones", _("Téléphones")),
    ("consents", _("Consentements")),
    ("interactions", _("Échanges avec la campagne")),
    ("tags", _("Étiquettes")),
    ("lists", _("Listes")),
    ("sources", _("Sources")),
    ("extra", _("Colonnes supplémentaires")),
    ("notes", _("Notes")),
    ("audit", _("Journal des accès")),
)
# The scalar fields at the top of the data, shown together as the "record" section.
_RECORD = ("current_support", "current_support_label", "created_at", "updated_at", "user_account")
_LABELS: dict[str, dict[str, Any]] = {
    "record": {
        "current_support": _("niveau de soutien actuel"),
        "current_support_label": _("soutien actuel"),
        "created_at": _("créée le"),
        "updated_at": _("modifiée le"),
        "user_account": _("compte utilisateur"),
    },
    "identity": {
        "birth_name": _("nom de naissance"),
        "usage_name": _("nom d'usage"),
        "first_names": _("prénoms"),
        "sex": _("sexe"),
        "birth_year": _("année de naissance"),
        "birth_month": _("mois de naissance"),
        "birth_day": _("jour de naissance"),
        "birth_place": _("lieu de naissance"),
        "birth_place_code": _("code du lieu de naissance"),
        "birth_department": _("département de naissance"),
        "birth_country": _("pays de naissance"),
        "nationality": _("nationalité"),
        "roll_commune_code": _("commune d'inscription"),
        "roll_station_code": _("bureau d'inscription"),
        "roll_number": _("numéro d'ordre"),
        "roll_list_type": _("liste électorale"),
    },
    "address": {
        "address_number": _("numéro"),
        "address_street": _("voie"),
        "address_complement": _("complément"),
        "address_complement2": _("complément (suite)"),
        "address_locality": _("lieu-dit"),
        "postcode": _("code postal"),
        "commune_name": _("commune"),
        "country": _("pays"),
        "commune_code": _("code commune"),
        "polling_station_code": _("bureau de vote"),
        "constituency_code": _("circonscription"),
        "department_code": _("département"),
        "latitude": _("latitude"),
        "longitude": _("longitude"),
        "geocode_score": _("score du géocodage (sur 100)"),
        "geocode_status": _("géocodage (1 localisée, 2 introuvable)"),
        "geocoded_at": _("géocodé le"),
    },
    "emails": {
        "address": _("adresse"),
        "status": _("état"),
        "primary": _("principale"),
        "source": _("source"),
        "added_at": _("ajoutée le"),
    },
    "phones": {
        "number": _("numéro"),
        "kind": _("type"),
        "status": _("état"),
        "primary": _("principal"),
        "source": _("source"),
        "added_at": _("ajouté le"),
    },
    "consents": {
        "channel": _("canal"),
        "granted": _("accordé"),
        "legal_basis": _("base légale"),
        "source": _("source"),
        "wording": _("formulation"),
        "recorded_at": _("enregistré le"),
    },
    "interactions": {
        "occurred_at": _("date"),
        "channel": _("canal"),
        "result": _("résultat"),
        "support_level": _("niveau de soutien"),
        "support_label": _("soutien"),
        "note": _("note"),
        "question": _("question"),
        "answer": _("réponse"),
        "by": _("par"),
    },
    "audit": {"at": _("date"), "by": _("par"), "action": _("action")},
}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("oui") if value else _("non"))
    if isinstance(value, dict):
        return ", ".join(f"{k} : {_text_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text_value(v) for v in value)
    return str(value)


def _text_fields(section: str, fields: dict[str, Any]) -> list[str]:
    """`label : value` for every field that holds something; keys without a label as they are
    (the extra columns are the file's own headers)."""
    labels = _LABELS.get(section, {})
    return [
        f"{labels.get(key, key)} : {_text_value(value)}"
        for key, value in fields.items()
        if not _empty(value)
    ]


def _as_text(data: dict[str, Any]) -> str:
    """The readable export: every section of the data, every field that holds something."""
    lines = [
        str(_("Données détenues sur la personne n°%(id)s — extrait du %(at)s"))
        % {"id": data["id"], "at": data["generated_at"]},
        "",
    ]
    for section, title in _SECTIONS:
        value = {key: data[key] for key in _RECORD} if section == "record" else data[section]
        if isinstance(value, dict):
            rows = _text_fields(section, value)
        elif isinstance(value, list):
            rows = [
                " · ".join(_text_fields(section, item))
                if isinstance(item, dict)
                else _text_value(item)
                for item in value
            ]
        else:
            rows = [] if _empty(value) else [_text_value(value)]
        lines.append(f"== {title} ==")
        lines.extend(rows or [str(_("(aucune)"))])
        lines.append("")
    return "\n".join(lines)


def person_subject_access_export(*, actor: User, person: Person) -> tuple[bytes, str]:
    """The subject-access export (JSON bytes, readable text); audit-logged as `export`."""
    data = person_subject_access_data(person=person)
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.EXPORT,
        target=person,
        target_label=f"#{person.pk}",
        changes={"export": "subject_access"},
    )
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8"), _as_text(
        data
    )


@transaction.atomic
def person_erase(*, actor: User, person: Person, reason: str = "demande d'effacement") -> None:
    """Delete the person and everything attached; keep only the suppression hashes (identity,
    each email, each phone, scope all) so no import brings them back, and an audit entry that
    names nobody. Audit entries about the person lose their personal data too, and their rows
    leave every rejected-rows file still kept (a file that cannot be rewritten is deleted)."""
    person_id = person.pk
    key = identity_key(
        person.birth_name,
        person.first_names,
        person.birth_year,
        person.birth_month,
        person.birth_day,
    )
    suppression_add(kind=Kind.IDENTITY, value=key, scope=Scope.ALL, reason=reason)
    for address in person.emails.values_list("address", flat=True):
        suppression_add(kind=Kind.EMAIL, value=address, scope=Scope.ALL, reason=reason)
    for number in person.phones.values_list("number", flat=True):
        suppression_add(kind=Kind.PHONE, value=number, scope=Scope.ALL, reason=reason)
    counts = {
        "emails": person.emails.count(),
        "phones": person.phones.count(),
        "interactions": person.interactions.count(),
        "consents": person.consents.count(),
    }
    traces = PersonTraces.of(person)
    person_erasing.send(sender=Person, person=person)
    person.delete()  # cascades to emails, phones, consents, interactions, tags, list memberships, duplicate pairs
    # Files on disk: the rejected rows of past imports may quote them (uploads are deleted once
    # imported; those never imported expire with the retention, see docs/privacy.md).
    files = rejected_rows_erase(traces=traces)
    # The audit log is kept (who looked, who exported) but without what it said about them.
    AuditLogEntry.objects.filter(target_type=PERSON_TYPE, target_id=str(person_id)).update(
        target_label=f"#{person_id} (effacé)", changes={}
    )
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.ERASURE,
        target_type=PERSON_TYPE,
        target_id=person_id,
        target_label=f"#{person_id}",
        changes={"deleted": counts, "files": files},
    )
