"""Writes of a person's own record: create, update, emails and phones, tags, the sheet-view audit.

The derived columns (search name, building and household keys) are recomputed here every time
the fields they come from change, so search and household grouping never go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_entry, audit_log_record
from maillage.people.models import (
    Consent,
    ConsentChannel,
    ContactStatus,
    EmailAddress,
    Person,
    PersonTag,
    PhoneNumber,
    Tag,
)
from maillage.people.normalise import (
    fold,
    household_key,
    normalise_email,
    normalise_phone,
    phone_is_mobile,
    search_key,
    sort_key,
    street_key,
)
from maillage.people.services.suppression import Kind, Scope, is_suppressed

# The person's fields by kind, named once: the form and the services, the subject-access
# export and the merge each take the groups they need.
IDENTITY_FIELDS = (
    "birth_name",
    "usage_name",
    "first_names",
    "sex",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_place",
    "birth_place_code",
    "birth_department",
    "birth_country",
    "nationality",
    "roll_commune_code",
    "roll_station_code",
    "roll_number",
    "roll_list_type",
)
ROLL_IDENTITY_FIELDS = ("roll_commune_code", "roll_station_code", "roll_number")
ADDRESS_FIELDS = (
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
# The address parts a geocoder reads, and what it writes: a change of the former clears the latter.
GEOCODED_FIELDS = ("address_number", "address_street", "postcode", "commune_name", "commune_code")
GEOCODE_RESULT_FIELDS = ("latitude", "longitude", "geocode_score", "geocode_status", "geocoded_at")
ROLE_FIELDS = (
    "is_voter",
    "is_contact",
    "is_sympathiser",
    "is_member",
    "is_activist",
    "is_volunteer",
)
# What a person's own form and the services may set directly; the denormalised columns
# (current_support, consent_*, last_interaction_*) are kept by the history services only.
EDITABLE_FIELDS = (*IDENTITY_FIELDS, *ADDRESS_FIELDS, *ROLE_FIELDS, "notes")


def person_keys_refresh(person: Person) -> None:
    """Recompute search_name, sort_name, building_key and household_key in memory (the caller saves)."""
    # Same order as the import writes it (first names, usage name, birth name).
    person.search_name = search_key(person.first_names, person.usage_name, person.birth_name)[
        : max_length(Person, "search_name")
    ]
    person.sort_name = sort_key(person.usage_name or person.birth_name, person.first_names)
    person.building_key = street_key(person.address_number, person.address_street, person.postcode)[
        : max_length(Person, "building_key")
    ]
    person.household_key = household_key(
        person.address_number, person.address_street, person.address_complement, person.postcode
    )[: max_length(Person, "household_key")]


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ApplicationError(
            _("Champs inconnus : %(choices)s.") % {"choices": ", ".join(unknown)}
        )
    if not (fields.get("birth_name") or fields.get("usage_name") or fields.get("first_names")):
        raise ApplicationError(_("Une personne a au moins un nom ou un prénom."))


@transaction.atomic
def person_create(
    *,
    actor: User,
    fields: dict[str, Any],
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    tags: Iterable[str] = (),
    source: str = "",
) -> Person:
    _check_fields(fields)
    person = Person(**fields)
    if source:
        person.sources = [source]
    person_keys_refresh(person)
    person.save(force_insert=True)
    for address in emails:
        email_add(actor=actor, person=person, address=address, source=source)
    for number in phones:
        phone_add(actor=actor, person=person, number=number, source=source)
    if tags:
        person_tags_add(person=person, names=list(tags))
    audit_log_record(
        actor=actor, action=AuditLogEntry.Action.CREATE, target=person, changes={"source": source}
    )
    return person


@transaction.atomic
def person_update(*, actor: User, person: Person, fields: dict[str, Any]) -> Person:
    _check_fields(
        {**{f: getattr(person, f) for f in ("birth_name", "usage_name", "first_names")}, **fields}
    )
    changes = {
        name: [getattr(person, name), value]
        for name, value in fields.items()
        if getattr(person, name) != value
    }
    if not changes:
        return person
    for name, value in fields.items():
        setattr(person, name, value)
    person_keys_refresh(person)
    located = []
    if any(name in GEOCODED_FIELDS for name in changes):  # placed again by the next geocoding
        located = list(GEOCODE_RESULT_FIELDS)
        for name in located:
            setattr(person, name, None)
    person.save(
        update_fields=[
            *changes,
            *located,
            "search_name",
            "sort_name",
            "building_key",
            "household_key",
            "updated_at",
        ]
    )
    audit_log_record(
        actor=actor, action=AuditLogEntry.Action.UPDATE, target=person, changes=changes
    )
    return person


def _suppressed_for(kind: str, value: str, scopes: Iterable[str]) -> bool:
    return any(is_suppressed(kind=kind, value=value, channel_scope=scope) for scope in scopes)


def _withdraw(person: Person, channels: Sequence[str], source: str) -> None:
    """Record a refusal for channels whose address is on the ledger, so it is never reachable."""
    now = timezone.now()
    Consent.objects.bulk_create(
        [
            Consent(
                person=person,
                channel=c,
                granted=False,
                legal_basis=Consent.LegalBasis.CONSENT,
                source=source,
                recorded_at=now,
            )
            for c in channels
        ]
    )
    for channel in channels:
        setattr(person, f"consent_{channel}", False)
    person.save(update_fields=[f"consent_{c}" for c in channels])


def email_add(
    *, actor: User, person: Person, address: str, source: str = "", is_primary: bool | None = None
) -> EmailAddress:
    normalised = normalise_email(address)
    if "@" not in normalised:
        raise ApplicationError(_("Adresse e-mail invalide : %(address)s.") % {"address": address})
    if is_primary is None:
        is_primary = not person.emails.exists()
    email, _created = EmailAddress.objects.get_or_create(
        person=person,
        address=normalised,
        defaults={"source": source[: max_length(EmailAddress, "source")], "is_primary": is_primary},
    )
    # An address someone unsubscribed or asked to erase stays unreachable, whoever it comes back with.
    if _suppressed_for(Kind.EMAIL, normalised, [Scope.ALL, Scope.EMAIL]):
        _withdraw(person, [ConsentChannel.EMAIL], "liste d'opposition")
    return email


def phone_add(
    *, actor: User, person: Person, number: str, source: str = "", is_primary: bool | None = None
) -> PhoneNumber:
    e164 = normalise_phone(number)
    if e164 is None:
        raise ApplicationError(_("Numéro de téléphone invalide : %(number)s.") % {"number": number})
    if is_primary is None:
        is_primary = not person.phones.exists()
    kind = PhoneNumber.Kind.MOBILE if phone_is_mobile(e164) else PhoneNumber.Kind.LANDLINE
    phone, _created = PhoneNumber.objects.get_or_create(
        person=person,
        number=e164,
        defaults={
            "source": source[: max_length(PhoneNumber, "source")],
            "is_primary": is_primary,
            "kind": kind,
        },
    )
    withdrawn = [
        channel
        for channel, scope in ((ConsentChannel.SMS, Scope.SMS), (ConsentChannel.PHONE, Scope.PHONE))
        if _suppressed_for(Kind.PHONE, e164, [Scope.ALL, scope])
    ]
    if withdrawn:
        _withdraw(person, withdrawn, "liste d'opposition")
    return phone


def tag_slug(name: str) -> str:
    return fold(name).replace(" ", "-")[:120]


def person_tags_add(*, person: Person, names: list[str]) -> list[Tag]:
    """Attach tags by name, creating the missing ones (slug = folded name, words joined by
    hyphens, as the import makes them)."""
    wanted = {tag_slug(name): name.strip() for name in names if tag_slug(name)}
    existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=list(wanted))}
    missing = [Tag(slug=slug, name=name) for slug, name in wanted.items() if slug not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=list(wanted))}
    PersonTag.objects.bulk_create(
        [PersonTag(person=person, tag=tag) for tag in existing.values()], ignore_conflicts=True
    )
    return list(existing.values())


def person_sheet_view(*, actor: User, person: Person, ip_address: str | None = None) -> None:
    """Every opening of a contact sheet goes to the audit log (support level is art. 9 data)."""
    person_sheet_view_entry(actor=actor, person_id=person.pk, ip_address=ip_address).save(
        force_insert=True
    )


def person_sheet_view_entry(
    *, actor: User, person_id: int, ip_address: str | None = None
) -> AuditLogEntry:
    """`person_sheet_view`'s audit line, not yet saved: the contact sheet inserts it with its
    reads, in their statement, if the person is in the user's scope (`person_sheet`)."""
    return audit_log_entry(
        actor=actor,
        action=AuditLogEntry.Action.VIEW,
        target_type=Person._meta.label_lower,
        target_id=person_id,
        target_label=f"#{person_id}",
        ip_address=ip_address,
    )


def phone_mark_invalid(*, actor: User, person: Person, number: str) -> int:
    """A number that reached someone else ("wrong number"): kept, marked invalid, so no call
    list, SMS blast or reachability count uses it again (`reachable_q` reads usable statuses)."""
    changed = PhoneNumber.objects.filter(person=person, number=number).update(
        status=ContactStatus.INVALID
    )
    if changed:
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=person,
            target_label=f"#{person.pk}",
            changes={"phone_status": [number[-4:], ContactStatus.INVALID.value]},
        )
    return changed
