"""People who sign in: users, their role, teams and zones, and invitations.

A `User` is only a login. Everyone the campaign knows is a `people.Person`, which points to
its User (nullable one-to-one), so this app never imports `people`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Generator
from datetime import timedelta
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from maillage.core.models import TimeStampedModel
from maillage.core.roles import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db, force_insert=True)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("is_superuser", True)
        fields.setdefault("is_active", True)
        return self.create_user(email, password, **fields)


class Zone(TimeStampedModel):
    """A territory a user works in: a name and a parent, e.g. "Bouches-du-Rhône > Marseille 3e".

    `code` optionally names the official area it stands for (a commune INSEE code, a
    constituency `1303`), so feature apps can scope by the official tables.
    """

    name = models.CharField(_("nom"), max_length=150)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code officiel"), max_length=20, blank=True, db_index=True)

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="zone_unique_name_in_parent")
        ]

    def __str__(self) -> str:
        return f"{self.parent} › {self.name}" if self.parent_id else self.name


class Team(TimeStampedModel):
    name = models.CharField(_("nom"), max_length=150, unique=True)
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("territoire"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
    )

    class Meta:
        verbose_name = _("équipe")
        verbose_name_plural = _("équipes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("adresse e-mail"), unique=True)
    full_name = models.CharField(_("nom complet"), max_length=200, blank=True)
    role = models.PositiveSmallIntegerField(
        _("rôle"), choices=Role.choices, default=Role.SUPPORTER, db_index=True
    )
    teams = models.ManyToManyField(
        Team, verbose_name=_("équipes"), blank=True, related_name="members"
    )
    zones = models.ManyToManyField(
        Zone, verbose_name=_("territoires"), blank=True, related_name="users"
    )
    language = models.CharField(_("langue"), max_length=8, default="fr")
    is_active = models.BooleanField(_("actif"), default=True)
    email_confirmed_at = models.DateTimeField(_("e-mail confirmé le"), null=True, blank=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    # Bumped when the second factor changes: the user's other sessions end (see below).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def short_name(self) -> str:
        return (self.full_name.split(" ")[0] if self.full_name else self.email.split("@")[0])[:30]

    @property
    def is_staff(self) -> bool:
        """Django's "may enter the admin": superusers only (who must also pass 2FA, see
        core/admin_site.py). Campaign staff and admins work in the application's pages."""
        return self.is_superuser

    # Django ends every other session when the password changes, because a session stores a
    # hash of it. Ours also end when the second factor changes (turned on, replaced, turned
    # off): a session opened with the password alone, perhaps a thief's, must not outlive the
    # owner turning 2FA on. Generation 0 keeps Django's own hash, so sessions open before this
    # field existed survive.

    def get_session_auth_hash(self) -> str:
        return self._with_session_generation(super().get_session_auth_hash())

    def get_session_auth_fallback_hash(self) -> Generator[str, None, None]:
        for value in super().get_session_auth_fallback_hash():
            yield self._with_session_generation(value)

    def _with_session_generation(self, value: str) -> str:
        if not self.session_generation:
            return value
        return salted_hmac(
            "maillage.accounts.User.session_generation",
            f"{value}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():  # type: ignore[no-untyped-def]
    return timezone.now() + timedelta(days=14)


class Invitation(TimeStampedModel):
    """Staff invite someone by email with a role; the link creates the account."""

    email = models.EmailField(_("adresse e-mail"))
    role = models.PositiveSmallIntegerField(_("rôle"), choices=Role.choices, default=Role.VOLUNTEER)
    team = models.ForeignKey(
        Team, verbose_name=_("équipe"), null=True, blank=True, on_delete=models.SET_NULL
    )
    zone = models.ForeignKey(
        Zone, verbose_name=_("territoire"), null=True, blank=True, on_delete=models.SET_NULL
    )
    invited_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


def recovery_code_digest(*, user_id: int, code: str) -> str:
    """SHA-256 of a recovery code, normalised (case, spaces and dashes do not matter).

    A fast hash is enough here, unlike for passwords: each code carries about 59 random bits from
    `secrets`, so a leaked table cannot be brute-forced, and a deterministic digest lets a
    code be found with one indexed query instead of a slow hash tried against every row.
    The user id salts it, so the same digest never means the same code for two people.
    """
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(f"maillage-recovery:{user_id}:{normalised}".encode()).hexdigest()


class RecoveryCodeDevice(Device):
    """A user's single-use recovery codes, as one django-otp device, so that a code verifies a
    session the way the phone does (`django_otp.login`, `user.is_verified()`).

    django-otp's own StaticToken keeps its codes in plain text; these are `RecoveryCode` rows
    holding only a digest.
    """

    # One per user (Device's own `user` is a plain foreign key).
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="recovery_code_device")

    class Meta:
        verbose_name = _("codes de secours")
        verbose_name_plural = _("codes de secours")

    def verify_token(self, token: str) -> bool:
        digest = recovery_code_digest(user_id=self.user_id, code=token)
        # Compare-and-swap: of two requests racing with the same code, one wins.
        used = RecoveryCode.objects.filter(device=self, digest=digest, used_at=None).update(
            used_at=timezone.now()
        )
        return used == 1


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("code de secours")
        verbose_name_plural = _("codes de secours")
        constraints = [
            # Serves RecoveryCodeDevice.verify_token's lookup by (device, digest).
            models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_unique_digest")
        ]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.digest[:8]}…"


class Session(AbstractBaseSession):
    """Django's session row with the id of the user signed in on it, so the engine reads the
    session and its user in one query (accounts.sessions, #17): two round trips were a fifth
    of a volunteer's people list on PostgreSQL. `user` is set from the session's data each
    time the row is saved (`create_model_instance`); a row saved while anonymous has none.

    The column is a foreign key for the join and the cascade (a deleted user's sessions go),
    without a database constraint: a session saved for a user deleted meanwhile, by a request
    still running, must not fail. Django's `create()` retries a failed insert with a new key
    for ever, taking a constraint's refusal for a taken key. A row naming no user (gone, or
    never there) only means the user is read the usual way and found missing."""

    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("utilisateur"),
    )

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        from maillage.accounts.sessions.db import SessionStore

        return SessionStore
