"""GDPR requests: the subject-access export (everything held, JSON + readable text) and erasure
(the person and everything attached deleted; only suppression hashes remain)."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.models import Person, SupportLevel
from maillage.people.normalise import identity_key
from maillage.people.services.retention import PersonTraces, rejected_rows_erase
from maillage.people.services.suppression import Kind, Scope, suppression_add

PERSON_TYPE = "people.person"

_IDENTITY = (
    "birth_name", "usage_name", "first_names", "sex", "birth_year", "birth_month", "birth_day",
    "birth_place", "birth_place_code", "birth_department", "birth_country", "nationality",
    "roll_commune_code", "roll_station_code", "roll_number", "roll_list_type",
)  # fmt: skip
_ADDRESS = (
    "address_number", "address_street", "address_complement", "address_complement2", "address_locality",
    "postcode", "commune_name", "country", "commune_code", "polling_station_code", "constituency_code", "department_code",
)  # fmt: skip
_ROLES = ("is_voter", "is_contact", "is_sympathiser", "is_member", "is_activist", "is_volunteer")


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def person_subject_access_data(*, person: Person) -> dict[str, Any]:
    """Everything held on one person, as plain data."""
    support_label = dict(SupportLevel.choices)
    return {
        "generated_at": timezone.now().isoformat(),
        "id": person.pk,
        "identity": {name: getattr(person, name) for name in _IDENTITY},
        "address": {name: getattr(person, name) for name in _ADDRESS},
        "roles": [name.removeprefix("is_") for name in _ROLES if getattr(person, name)],
        "notes": person.notes,
        "sources": person.sources,
        "extra": person.extra,
        "current_support": person.current_support,
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


def _as_text(data: dict[str, Any]) -> str:
    lines = [
        f"Données détenues sur la personne n°{data['id']} — extrait du {data['generated_at'][:10]}",
        "",
    ]

    def section(title: str, rows: list[str]) -> None:
        lines.append(f"== {title} ==")
        lines.extend(rows or ["(aucune)"])
        lines.append("")

    section("Identité", [f"{k} : {v}" for k, v in data["identity"].items() if v not in ("", None)])
    section("Adresse", [f"{k} : {v}" for k, v in data["address"].items() if v not in ("", None)])
    section("Rôles", [", ".join(data["roles"])] if data["roles"] else [])
    section("Adresses e-mail", [f"{e['address']} ({e['status']})" for e in data["emails"]])
    section("Téléphones", [f"{p['number']} ({p['kind']}, {p['status']})" for p in data["phones"]])
    section(
        "Consentements",
        [
            f"{c['recorded_at'][:10]} {c['channel']} : {'oui' if c['granted'] else 'non'} ({c['legal_basis']}, {c['source']})"
            for c in data["consents"]
        ],
    )
    section(
        "Échanges avec la campagne",
        [
            f"{i['occurred_at'][:16]} {i['channel']} : {i['result']}"
            + (f" — soutien : {i['support_label']}" if i["support_label"] else "")
            + (f" — {i['note']}" if i["note"] else "")
            for i in data["interactions"]
        ],
    )
    section("Étiquettes", [", ".join(data["tags"])] if data["tags"] else [])
    section("Listes", data["lists"])
    section("Sources", [str(s) for s in data["sources"]])
    section("Colonnes supplémentaires", [f"{k} : {v}" for k, v in (data["extra"] or {}).items()])
    section("Notes", [data["notes"]] if data["notes"] else [])
    section(
        "Journal des accès", [f"{a['at'][:16]} {a['by']} : {a['action']}" for a in data["audit"]]
    )
    return "\n".join(lines)


def person_subject_access_export(*, actor: Any, person: Person) -> tuple[bytes, str]:
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
def person_erase(*, actor: Any, person: Person, reason: str = "demande d'effacement") -> None:
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
