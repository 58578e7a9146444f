"""Groups of columns of a row: each returns what its columns become (or a rejection reason)."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from maillage.people.imports.rows.codes import (
    constituency_code,
    department_of,
    normalise_commune_code,
    parse_flag,
    station_code,
)
from maillage.people.imports.rows.columns import SUPPRESSED
from maillage.people.imports.rows.state import (
    _EMAIL,
    _SEX,
    _ConverterState,
    _Rejection,
    _shown,
)
from maillage.people.normalise import (
    ledger_hash,
    normalise_email,
    normalise_phone,
    phone_is_mobile,
    street_key_of,
    street_name_key,
    street_number_key,
)


class _ColumnGroups(_ConverterState):
    """The groups of columns after the dates: codes, building, sex, labels, extra, contacts."""

    def _official_codes(self, raw: tuple[str, ...]) -> tuple[tuple[str, ...], str, str]:
        """((commune, polling station, constituency, department, list type), commune, station)."""
        codes = self._codes.get(raw)
        if codes is None:
            commune_raw, department_raw, station_raw, constituency_raw, list_type = raw
            commune = normalise_commune_code(commune_raw, department_raw)
            department = department_raw.strip().upper() or department_of(commune)
            station = station_code(station_raw) if station_raw.strip() else ""
            codes = (
                (
                    commune,
                    f"{commune}_{station}" if commune and station else "",
                    constituency_code(department, constituency_raw) if constituency_raw else "",
                    department if commune else department_raw.strip(),
                    list_type.strip(),
                ),
                commune,
                station,
            )
            self._codes.remember(raw, codes)
        return codes

    def _building(self, raw: tuple[str, ...]) -> tuple[str, str, str, str]:
        """(number, street, postcode, building key): the key of `normalise.street_key`, from its
        parts memoised apart (a roll has far fewer streets and numbers than buildings)."""
        building = self._buildings.get(raw)
        if building is None:
            number, street_type, street, postcode = raw
            if street_type:
                street = f"{street_type.strip()} {street.strip()}".strip()
            words = self._street_words.get(street)
            if words is None:
                words = street_name_key(street)
                self._street_words.remember(street, words)
            number_key = self._number_keys.get(number)
            if number_key is None:
                number_key = street_number_key(number)
                self._number_keys.remember(number, number_key)
            building = (
                number.strip(),
                street.strip(),
                postcode.strip(),
                street_key_of(self.fold(postcode), number_key, words)[: self.building_key_length],
            )
            self._buildings.remember(raw, building)
        return building

    def _sex(self, raw: str) -> str:
        sex = self._sexes.get(raw)
        if sex is None:
            sex = _SEX.get(raw.strip().lower(), "") if raw else ""
            self._sexes.remember(raw, sex)
        return sex

    def _station_labels(self, raw: tuple[str, ...]) -> tuple[str, ...] | str:
        """The station's labels, or a reason when one is longer than its column."""
        labels = self._labels.get(raw)
        if labels is None:
            labels = tuple(map(str.strip, raw))
            for label, (limit, name) in zip(labels, self.station_labels, strict=True):
                if len(label) > limit:
                    labels = self.too_long % {"field": name, "length": len(label), "limit": limit}
                    break
            self._labels.remember(raw, labels)
        return labels

    def _extra(self, raw: tuple[str, ...]) -> str:
        """The extra columns as JSON, or (str too, told apart by `convert`) a rejection reason
        when the row fills more of them than `max_extra`."""
        extra = self._extras.get(raw)
        if extra is None:
            if len(raw) > self.max_extra:
                filled = sum(1 for value in raw if value.strip())
                if filled > self.max_extra:
                    reason = self.too_many_extra % {"count": filled, "limit": self.max_extra}
                    self._extras.remember(raw, _Rejection(reason))
                    return _Rejection(reason)
            # Accents as they are (not \u escapes): the same JSON value, and no backslash for
            # the COPY text to escape.
            extra = json.dumps(
                {
                    name: value.strip()
                    for name, value in zip(self.extra_names, raw, strict=True)
                    if value.strip()
                },
                ensure_ascii=False,
            )
            self._extras.remember(raw, extra)
        return extra

    def phone(self, raw: str) -> tuple[str, str] | None:
        """(E.164, kind) or None when invalid; memoised because phonenumbers is slow."""
        if raw in self._phones:
            return self._phones[raw]
        e164 = normalise_phone(raw)
        result = (e164, "mobile" if phone_is_mobile(e164) else "landline") if e164 else None
        self._phones.remember(raw, result)
        return result

    def slug(self, raw: str) -> tuple[str, str]:
        """(tag name, slug); the name is checked against its column by `_contacts`, the slug
        (a key made from it, longer when folding spells œ as oe) is cut to its column."""
        found = self._slugs.get(raw)
        if found is None:
            name = " ".join(raw.split())
            found = (name, self.fold(name).replace(" ", "-")[: self.tag_slug_length])
            self._slugs.remember(raw, found)
        return found

    def _contacts(self, raw: tuple[str, ...]) -> tuple | str:
        """Email, phones, consents, profession and tag (staging order), or a rejection reason.
        The ledger's opt-outs are added by `convert` once the row is known to be kept."""
        (
            email_raw,
            mobile_raw,
            landline_raw,
            phone_raw,
            profession,
            tag,
            consent_email_raw,
            consent_sms_raw,
            consent_phone_raw,
        ) = raw
        email = ""
        if email_raw:
            email = normalise_email(email_raw)
            if email and not _EMAIL.match(email):
                return _("e-mail invalide : %(value)s") % {"value": _shown(email_raw.strip())}
            if len(email) > self.email_length:
                return self.too_long % {
                    "field": _("e-mail"),
                    "length": len(email),
                    "limit": self.email_length,
                }
        mobile = landline = ""
        for value in (mobile_raw, landline_raw, phone_raw):
            if value and value.strip():
                parsed = self.phone(value)
                if parsed is None:
                    return _("téléphone invalide : %(value)s") % {"value": _shown(value.strip())}
                if parsed[1] == "mobile" and not mobile:
                    mobile = parsed[0]
                elif not landline and parsed[0] != mobile:
                    landline = parsed[0]
        profession_name = profession_slug = tag_name = tag_slug = ""
        if profession and profession.strip():
            profession_name, profession_slug = self.slug(profession)
            if len(profession_name) > self.tag_length:
                return self.too_long % {
                    "field": _("profession"),
                    "length": len(profession_name),
                    "limit": self.tag_length,
                }
        if tag and tag.strip():
            tag_name, tag_slug = self.slug(tag)
            if len(tag_name) > self.tag_length:
                return self.too_long % {
                    "field": _("étiquette"),
                    "length": len(tag_name),
                    "limit": self.tag_length,
                }
        return (
            email,
            0,
            parse_flag(consent_email_raw) if consent_email_raw else None,
            mobile,
            landline,
            0,
            0,
            parse_flag(consent_sms_raw) if consent_sms_raw else None,
            parse_flag(consent_phone_raw) if consent_phone_raw else None,
            profession_name,
            profession_slug,
            tag_name,
            tag_slug,
        )

    def _with_contact_ledger(self, contacts: tuple) -> tuple | object:
        """The ledger on the row's email and phones: SUPPRESSED (erasure) or the opt-out flags."""
        ledger = self.ledger
        email, mobile, landline = contacts[0], contacts[3], contacts[4]
        email_optout = sms_optout = call_optout = 0
        if email and (ledger.email_all or ledger.email_optout):
            email_hash = ledger_hash("email", email)
            if email_hash in ledger.email_all:
                return SUPPRESSED
            email_optout = 1 if email_hash in ledger.email_optout else 0
        if (mobile or landline) and (ledger.phone_all or ledger.sms_optout or ledger.call_optout):
            for number in (mobile, landline):
                if number:
                    phone_hash = ledger_hash("phone", number)
                    if phone_hash in ledger.phone_all:
                        return SUPPRESSED
                    sms_optout |= phone_hash in ledger.sms_optout
                    call_optout |= phone_hash in ledger.call_optout
        if not (email_optout or sms_optout or call_optout):
            return contacts
        return (
            email,
            email_optout,
            contacts[2],
            mobile,
            landline,
            int(sms_optout),
            int(call_optout),
            *contacts[7:],
        )
