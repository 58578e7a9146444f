"""Everyone the campaign knows: voters from the roll, contacts, sympathisers, members, activists.

`Person` carries the address inline (one residential address per person, as on the roll) with
keys that group households and buildings; emails and phones are child rows with a status;
consent is a history per channel, with the current value copied onto Person so segments can
filter on it without a subquery. Support level is political opinion (GDPR art. 9): it lives
in `Interaction` rows, and `Person.current_support` is the latest of them, kept by services.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from maillage.core.db import Bytewise
from maillage.core.models import TimeStampedModel
from maillage.people.imports.presets import PRESET_SHORT_LABELS
from maillage.people.normalise import SORT_NAME_LENGTH


class SupportLevel(models.IntegerChoices):
    FOR = 1, _("Pour")
    LEANING_FOR = 2, _("Plutôt pour")
    UNDECIDED = 3, _("Indécis")
    LEANING_AGAINST = 4, _("Plutôt contre")
    AGAINST = 5, _("Contre")


class Channel(models.TextChoices):
    DOOR = "door", _("Porte-à-porte")
    PHONE = "phone", _("Téléphone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    EVENT = "event", _("Événement")
    FORUM = "forum", _("Forum")
    POST = "post", _("Courrier")


# The labels of a person's roles (the is_* flags), for forms and segment descriptions.
ROLE_LABELS = {
    "voter": _("Électeur·rice"),
    "contact": _("Contact"),
    "sympathiser": _("Sympathisant·e"),
    "member": _("Adhérent·e"),
    "activist": _("Militant·e"),
    "volunteer": _("Bénévole"),
}


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Téléphone")
    POST = "post", _("Courrier")


class ContactStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("non vérifié")
    VERIFIED = "verified", _("vérifié")
    BOUNCED = "bounced", _("en échec")
    INVALID = "invalid", _("invalide")


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    UNKNOWN = "", _("Non renseigné")


class Tag(models.Model):
    """A label used by segments: a profession (`infirmière`), an interest, a list origin."""

    class Kind(models.TextChoices):
        PROFESSION = "profession", _("Profession")
        INTEREST = "interest", _("Centre d'intérêt")
        OTHER = "other", _("Autre")

    name = models.CharField(_("nom"), max_length=100)
    slug = models.CharField(
        _("clé"), max_length=120, unique=True, help_text=_("Nom replié, sans accents.")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.OTHER)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("étiquette")

    def __str__(self) -> str:
        return self.name


class GeocodeStatus(models.IntegerChoices):
    """NULL on the person: never tried (or the address changed since)."""

    FOUND = 1, _("localisée")
    NOT_FOUND = 2, _("introuvable")


class Person(TimeStampedModel):
    # Identity, as on the roll.
    birth_name = models.CharField(_("nom de naissance"), max_length=150, blank=True)
    usage_name = models.CharField(_("nom d'usage"), max_length=150, blank=True)
    first_names = models.CharField(_("prénoms"), max_length=200, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True)
    # Partial birth dates ("00/00/1953", "1961") are kept as what they are: a year alone.
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("mois de naissance"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("jour de naissance"), null=True, blank=True)
    birth_place = models.CharField(_("lieu de naissance"), max_length=150, blank=True)
    birth_place_code = models.CharField(_("code commune de naissance"), max_length=10, blank=True)
    birth_department = models.CharField(_("département de naissance"), max_length=5, blank=True)
    birth_country = models.CharField(_("pays de naissance"), max_length=80, blank=True)
    nationality = models.CharField(_("nationalité"), max_length=80, blank=True)

    # Roll identity: commune + polling station + order number, unique together when present.
    roll_commune_code = models.CharField(_("code commune (liste)"), max_length=10, blank=True)
    roll_station_code = models.CharField(_("bureau de vote"), max_length=10, blank=True)
    roll_number = models.PositiveIntegerField(_("numéro d'ordre"), null=True, blank=True)
    roll_list_type = models.CharField(_("type de liste"), max_length=60, blank=True)

    # Residential address, normalised enough to group households and buildings.
    address_number = models.CharField(_("numéro"), max_length=20, blank=True)
    address_street = models.CharField(_("voie"), max_length=200, blank=True)
    address_complement = models.CharField(_("complément"), max_length=200, blank=True)
    address_complement2 = models.CharField(_("complément 2"), max_length=200, blank=True)
    address_locality = models.CharField(_("lieu-dit"), max_length=150, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    commune_name = models.CharField(_("commune"), max_length=150, blank=True)
    country = models.CharField(_("pays"), max_length=80, blank=True)
    building_key = models.CharField(max_length=300, blank=True)
    household_key = models.CharField(max_length=400, blank=True)

    # Where the address lies, from the geocoder (`services.geocoding`); all NULL until tried.
    # Kept lean for tens of millions of rows: all nullable, and a NULL costs one bit of the
    # row's null bitmap (a roll load writes none of them); a geocoded person carries 8 + 8
    # bytes of coordinates, a 2-byte score in hundredths, a 2-byte status and an 8-byte date
    # (28 bytes, about 32 with alignment: some 1.5 GB at 48 M people, all geocoded), plus the
    # partial index `person_location_idx` on the geocoded ones only (about 40 bytes an entry:
    # some 2 GB at 48 M, nothing for people never placed).
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geocode_score = models.PositiveSmallIntegerField(
        _("score du géocodage"), null=True, blank=True, help_text=_("Sur 100.")
    )
    geocode_status = models.PositiveSmallIntegerField(
        _("géocodage"), choices=GeocodeStatus.choices, null=True, blank=True
    )
    geocoded_at = models.DateTimeField(_("géocodé le"), null=True, blank=True)

    # Official areas (codes as in `territory`): strings, never integers ("2A", "0703").
    commune_code = models.CharField(_("code commune"), max_length=10, blank=True)
    polling_station_code = models.CharField(_("code bureau"), max_length=20, blank=True)
    constituency_code = models.CharField(_("circonscription"), max_length=8, blank=True)
    department_code = models.CharField(_("département"), max_length=3, blank=True)

    # Roles the person has in the campaign (several at once).
    is_voter = models.BooleanField(_("électeur·rice"), default=False)
    is_contact = models.BooleanField(_("contact"), default=False)
    is_sympathiser = models.BooleanField(_("sympathisant·e"), default=False)
    is_member = models.BooleanField(_("adhérent·e"), default=False)
    is_activist = models.BooleanField(_("militant·e"), default=False)
    is_volunteer = models.BooleanField(_("bénévole"), default=False)

    tags = models.ManyToManyField(
        Tag, verbose_name=_("étiquettes"), blank=True, related_name="people", through="PersonTag"
    )
    sources = models.JSONField(_("sources"), default=list, blank=True)
    extra = models.JSONField(
        _("colonnes supplémentaires"),
        default=dict,
        blank=True,
        help_text=_("Colonnes d'un fichier importé gardées telles quelles."),
    )
    notes = models.TextField(_("notes"), blank=True)

    # Latest values, kept by services from the history rows (Interaction, Consent).
    current_support = models.PositiveSmallIntegerField(
        _("soutien actuel"), choices=SupportLevel.choices, null=True, blank=True
    )
    support_updated_at = models.DateTimeField(null=True, blank=True)
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    last_interaction_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    consent_email = models.BooleanField(null=True, blank=True)
    consent_sms = models.BooleanField(null=True, blank=True)
    consent_phone = models.BooleanField(null=True, blank=True)
    consent_post = models.BooleanField(null=True, blank=True)

    search_name = models.CharField(max_length=400, blank=True)
    # The people list's order (`normalise.sort_key`): the shown last name, then first names.
    sort_name = models.CharField(max_length=SORT_NAME_LENGTH, blank=True)
    # The account of a person who is also a user of Maillage (at most one person per account).
    # A foreign key without database constraint nor plain index: a roll load inserts a million
    # people whose link is NULL, and a one-to-one's unique index (or an FK trigger) would be
    # maintained for each of them. The partial unique constraint below indexes only the people
    # who have an account, and still guarantees one person per account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person_records",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        constraints = [
            models.UniqueConstraint(
                fields=["roll_commune_code", "roll_station_code", "roll_number"],
                condition=Q(roll_number__isnull=False),
                name="person_unique_roll_identity",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(user__isnull=False), name="person_unique_user"
            ),
        ]
        indexes = [
            # Segment counts "age + polling station + support level" (benchmarked at 1 M people).
            # The name and the id ride along (#17): a segment page sorted as found takes its
            # page's ids from this index alone, without reading the rows it does not show
            # (`segment_page_rows`); SQLite has no INCLUDE and keeps the rowid in every index.
            models.Index(
                fields=["polling_station_code", "current_support", "birth_year", "sort_name"],
                include=["id"],
                name="person_station_support_idx",
            ),
            models.Index(fields=["commune_code", "birth_year"], name="person_commune_age_idx"),
            models.Index(fields=["constituency_code"], name="person_constituency_idx"),
            # An organiser's zone may be a department: with it, every term of the zone OR has
            # an index, so the scope is a union of index lookups rather than a scan.
            models.Index(fields=["department_code"], name="person_department_idx"),
            # Only people with a known support level: a roll load (all unknown) adds nothing to it.
            models.Index(
                fields=["current_support", "birth_year"],
                name="person_support_age_idx",
                condition=Q(current_support__isnull=False),
            ),
            # Maps (turfs drawn on a map, the points in view): a box of latitude and longitude.
            # Partial: a roll load (no coordinates) adds nothing to it; see the note on the fields.
            models.Index(
                fields=["latitude", "longitude"],
                name="person_location_idx",
                condition=Q(latitude__isnull=False),
            ),
            # Dedupe: likely duplicates share a folded birth name and a birth year.
            models.Index(fields=["birth_year", "birth_name"], name="person_identity_idx"),
            # Households are looked up by equality (dedupe blocks): a plain B-tree, without the
            # `varchar_pattern_ops` copy `db_index` adds. `building_key` has no index: nothing
            # looks people up by building alone, and every roll load would have to build it.
            models.Index(fields=["household_key"], name="person_household_idx"),
            # Quick search is a prefix match (`LIKE 'word%'`): one pattern index, not the plain
            # copy `db_index` would add next to it (one index less to build on a roll load).
            models.Index(
                fields=["search_name"],
                name="person_search_name_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # The people list by name (`ORDER BY sort_name, id` then LIMIT 50), in both directions.
            models.Index(Bytewise(F("sort_name")), F("id"), name="person_sort_name_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        last = self.usage_name or self.birth_name
        return (
            f"{self.first_names.split(' ')[0] if self.first_names else ''} {last}".strip()
            or f"#{self.pk}"
        )

    @property
    def birth_date_display(self) -> str:
        if not self.birth_year:
            return ""
        if not self.birth_month:
            return str(self.birth_year)
        return f"{self.birth_day or 0:02d}/{self.birth_month:02d}/{self.birth_year}"


class PersonTag(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="persontag_unique")]
        indexes = [models.Index(fields=["tag", "person"], name="persontag_tag_idx")]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.tag_id}"


class EmailAddress(TimeStampedModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(_("adresse"), max_length=254, db_index=True)
    status = models.CharField(
        _("état"), max_length=12, choices=ContactStatus.choices, default=ContactStatus.UNVERIFIED
    )
    is_primary = models.BooleanField(_("principale"), default=False)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("adresse e-mail")
        constraints = [
            models.UniqueConstraint(fields=["person", "address"], name="email_unique_per_person")
        ]

    def __str__(self) -> str:
        return self.address


class PhoneNumber(TimeStampedModel):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        LANDLINE = "landline", _("Fixe")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("numéro (E.164)"), max_length=20, db_index=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.MOBILE)
    status = models.CharField(
        _("état"), max_length=12, choices=ContactStatus.choices, default=ContactStatus.UNVERIFIED
    )
    is_primary = models.BooleanField(_("principal"), default=False)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("téléphone")
        constraints = [
            models.UniqueConstraint(fields=["person", "number"], name="phone_unique_per_person")
        ]

    def __str__(self) -> str:
        return self.number


class Consent(models.Model):
    """One consent event for one channel: the latest per channel is the one in force."""

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Consentement")
        LEGITIMATE_INTEREST = "legitimate_interest", _("Intérêt légitime")
        MEMBERSHIP = "membership", _("Adhésion")
        ELECTORAL_ROLL = "electoral_roll", _("Liste électorale (art. L37)")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("canal"), max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField(_("accordé"))
    legal_basis = models.CharField(
        _("base légale"), max_length=24, choices=LegalBasis.choices, default=LegalBasis.CONSENT
    )
    source = models.CharField(_("source"), max_length=150, blank=True)
    recorded_at = models.DateTimeField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The exact words shown to the person when consent was asked (doorstep, phone).
    # A database default too: imports insert consents in sets with their own column lists.
    wording = models.TextField(_("formulation"), blank=True, default="", db_default="")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["person", "channel", "-recorded_at"], name="consent_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.channel}={'yes' if self.granted else 'no'} ({self.recorded_at:%Y-%m-%d})"


class Interaction(models.Model):
    """One contact attempt on any channel; `support_level` when the person expressed one."""

    class Result(models.TextChoices):
        TALKED = "talked", _("Conversation")
        NOT_HOME = "not_home", _("Absent")
        REFUSED = "refused", _("Refus")
        MOVED = "moved", _("A déménagé")
        DECEASED = "deceased", _("Décès")
        WRONG_ADDRESS = "wrong_address", _("Mauvaise adresse")
        INACCESSIBLE = "inaccessible", _("Immeuble inaccessible")
        COME_BACK_LATER = "come_back_later", _("Repasser plus tard")
        WRONG_NUMBER = "wrong_number", _("Mauvais numéro")
        NO_ANSWER = "no_answer", _("Pas de réponse")
        BUSY = "busy", _("Occupé")
        LEFT_MESSAGE = "left_message", _("Messagerie")
        CALL_BACK = "call_back", _("Rappeler")
        DO_NOT_CONTACT = "do_not_contact", _("Ne plus contacter")
        SENT = "sent", _("Envoyé")
        ATTENDED = "attended", _("Présent")
        QUESTION = "question", _("Question transmise")

    class QuestionStatus(models.TextChoices):
        NONE = "", _("Aucune question")
        OPEN = "open", _("Ouverte")
        ANSWERED = "answered", _("Répondue")

    id = models.BigAutoField(primary_key=True)
    client_uuid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        help_text=_("Rend l'envoi idempotent (hors ligne, nouvelles tentatives)."),
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="interactions")
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    result = models.CharField(_("résultat"), max_length=20, choices=Result.choices)
    support_level = models.PositiveSmallIntegerField(
        _("soutien"), choices=SupportLevel.choices, null=True, blank=True
    )
    occurred_at = models.DateTimeField(_("date"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    question = models.TextField(_("question pour l'équipe"), blank=True)
    # Where the attempt came from (a turf, a call campaign, an email or SMS campaign), as a
    # generic reference so people can count per turf or campaign without importing those apps.
    source_kind = models.CharField(_("origine"), max_length=30, blank=True, default="")
    source_id = models.PositiveBigIntegerField(_("identifiant d'origine"), null=True, blank=True)
    # Two attempts that disagree (different actors close in time, or an offline result older
    # than the person's latest): both are kept, the older one is flagged for staff.
    needs_review = models.BooleanField(_("à vérifier"), default=False)
    # The staff-question workflow: a question asked at the door or on the phone.
    question_status = models.CharField(
        _("état de la question"),
        max_length=10,
        choices=QuestionStatus.choices,
        blank=True,
        default="",
    )
    question_answer = models.TextField(_("réponse"), blank=True)
    question_answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    question_answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            # Messaging's "sent" attempts are recorded once per person, campaign and channel.
            models.UniqueConstraint(
                fields=["person", "source_kind", "source_id", "channel"],
                condition=Q(result="sent", source_id__isnull=False),
                name="interaction_sent_once",
            )
        ]
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="interaction_person_idx"),
            # The staff questions inbox (only rows that carry a question).
            models.Index(
                fields=["question_status", "-occurred_at"],
                name="interaction_question_idx",
                condition=~Q(question_status=""),
            ),
            # The conflicts list (only flagged rows).
            models.Index(
                fields=["-occurred_at"],
                name="interaction_review_idx",
                condition=Q(needs_review=True),
            ),
            # Per-turf / per-campaign figures.
            models.Index(
                fields=["source_kind", "source_id", "occurred_at"],
                name="interaction_source_idx",
                condition=~Q(source_kind=""),
            ),
            # "Was undecided and is now for": support history per person.
            models.Index(fields=["support_level", "person"], name="interaction_support_idx"),
            models.Index(fields=["channel", "occurred_at"], name="interaction_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.result} {self.occurred_at:%Y-%m-%d}"


# The result codes each channel offers, in display order (the doorstep and caller screens).
_R = Interaction.Result
DOOR_RESULTS: tuple[str, ...] = (
    _R.NOT_HOME.value,
    _R.TALKED.value,
    _R.REFUSED.value,
    _R.COME_BACK_LATER.value,
    _R.MOVED.value,
    _R.DECEASED.value,
    _R.WRONG_ADDRESS.value,
    _R.INACCESSIBLE.value,
)
PHONE_RESULTS: tuple[str, ...] = (
    _R.NO_ANSWER.value,
    _R.BUSY.value,
    _R.LEFT_MESSAGE.value,
    _R.WRONG_NUMBER.value,
    _R.TALKED.value,
    _R.CALL_BACK.value,
    _R.DO_NOT_CONTACT.value,
)


def default_revisit_levels() -> list[int]:
    """The seed: the undecided and those leaning against are revisited and called."""
    return [SupportLevel.UNDECIDED.value, SupportLevel.LEANING_AGAINST.value]


def default_inform_levels() -> list[int]:
    """The seed: convinced supporters are not revisited, only informed by email."""
    return [SupportLevel.FOR.value, SupportLevel.LEANING_FOR.value]


def default_no_contact_levels() -> list[int]:
    """The seed: those against get no further door or phone contact this election."""
    return [SupportLevel.AGAINST.value]


class ContactPolicy(models.Model):
    """The campaign's follow-up rules and contact cap: one row (pk 1), edited by staff.

    Read by `selectors.followup` and `selectors.contact_cap`, which turfs, call lists and
    audiences use when they are built."""

    revisit_levels = models.JSONField(
        _("à revoir en porte-à-porte et à appeler"), default=default_revisit_levels, blank=True
    )
    inform_levels = models.JSONField(
        _("à informer par e-mail seulement"), default=default_inform_levels, blank=True
    )
    no_contact_levels = models.JSONField(
        _("à ne plus démarcher (porte, téléphone)"), default=default_no_contact_levels, blank=True
    )
    not_home_retries = models.PositiveSmallIntegerField(
        _("passages quand la personne est absente"), default=3
    )
    cap_attempts = models.PositiveSmallIntegerField(_("tentatives de contact au plus"), default=3)
    cap_days = models.PositiveSmallIntegerField(_("sur (jours)"), default=7)
    conflict_minutes = models.PositiveSmallIntegerField(
        _("fenêtre de conflit (minutes)"),
        default=30,
        help_text=_(
            "Deux résultats sur la même personne par deux personnes différentes dans cette "
            "fenêtre sont signalés pour vérification."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("règles de suivi")

    def __str__(self) -> str:
        return str(_("Règles de suivi"))


class SuppressionEntry(models.Model):
    """The suppression ledger: opt-outs and erasures, kept as hashes so they survive re-imports
    (a re-imported roll never resurrects someone who asked to be forgotten or unsubscribed)."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", _("Identité")
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Téléphone")

    class Scope(models.TextChoices):
        ALL = "all", _("Tout (effacement)")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        PHONE = "phone", _("Appels")
        POST = "post", _("Courrier")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value_hash", "scope"], name="suppression_unique"
            )
        ]
        verbose_name = _("entrée de la liste d'opposition")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value_hash[:12]}… ({self.scope})"


class PersonList(TimeStampedModel):
    """A hand-made list of people assigned to users or teams (call lists, walk lists); the
    scoping selector lets volunteers see the people of the lists assigned to them."""

    name = models.CharField(_("nom"), max_length=150)
    members = models.ManyToManyField(Person, blank=True, related_name="lists")
    assigned_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_person_lists"
    )
    assigned_teams = models.ManyToManyField(
        "accounts.Team", blank=True, related_name="assigned_person_lists"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("liste de personnes")

    def __str__(self) -> str:
        return self.name


class Segment(TimeStampedModel):
    """A saved filter compiled to one QuerySet by `selectors.segments.segment_queryset`."""

    name = models.CharField(_("nom"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    definition = models.JSONField(_("définition"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")

    def __str__(self) -> str:
        return self.name


class ImportMapping(TimeStampedModel):
    """The column mapping saved per source, offered again the next time that source is imported."""

    source = models.CharField(_("source"), max_length=100, unique=True)
    preset = models.CharField(max_length=20, blank=True)
    mapping = models.JSONField(default=dict)


class ImportJob(TimeStampedModel):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("déposé")
        RUNNING = "running", _("en cours")
        SUCCEEDED = "succeeded", _("terminé")
        FAILED = "failed", _("échoué")

    source = models.CharField(_("source"), max_length=100)
    preset = models.CharField(_("format"), max_length=20)
    original_name = models.CharField(_("fichier"), max_length=255)
    stored_path = models.CharField(max_length=500)
    mapping = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    dry_run = models.BooleanField(default=False)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    merged_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    suppressed_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(default=0)
    rejected_path = models.CharField(max_length=500, blank=True)
    # What happened to the job's files since (expired, rows removed by an erasure): no names.
    file_note = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    progress = models.ForeignKey(
        "core.TaskProgress", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")

    @property
    def preset_label(self) -> str:
        """The format in words ("REU", "autre fichier"), never its code ("generic")."""
        return str(PRESET_SHORT_LABELS.get(self.preset, self.preset))


class DuplicateCandidate(TimeStampedModel):
    """A likely duplicate pair waiting for a staff decision (exact matches merge automatically)."""

    class Status(models.TextChoices):
        OPEN = "open", _("à examiner")
        MERGED = "merged", _("fusionné")
        DISMISSED = "dismissed", _("distinct")

    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="duplicate_pair_ordered"
            ),
        ]
