"""Accounts: sign-up with confirmation through a real SMTP server, login limits, invitations,
roles, password reset and two-factor authentication."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.accounts.models import Invitation, User
from maillage.accounts.services import invitation_create, user_set_role
from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.errors import PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase

NEW_PASSWORD = "une-longue-phrase-de-passe"


def _link(body: str) -> str:
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0).split("127.0.0.1:8000", 1)[-1]


@pytest.mark.django_db
def test_sign_up_sends_a_confirmation_through_smtp_and_the_link_activates_the_account(
    client, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signup"),
            {
                "full_name": "Nadia Nouvelle",
                "email": "Nadia@Example.org",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
    assert response.status_code == 200
    assert "Vérifiez vos e-mails" in response.content.decode()
    user = User.objects.get(email="nadia@example.org")
    assert user.is_active is False
    assert user.role == Role.SUPPORTER

    assert smtp_server.envelopes == [("campagne@localhost", ["nadia@example.org"])]
    body = smtp_server.messages[0].get_payload(decode=True).decode()
    assert (
        client.post(
            reverse("accounts:login"), {"username": "nadia@example.org", "password": NEW_PASSWORD}
        ).status_code
        == 200
    )

    response = client.get(_link(body))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active and user.email_confirmed_at is not None
    response = client.post(
        reverse("accounts:login"), {"username": "nadia@example.org", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("core:dashboard")


@pytest.mark.django_db
def test_a_forged_confirmation_link_is_refused_with_a_message(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("accounts:confirm_email", args=["not-a-token"]))
    assert response.status_code == 400
    assert "pas valide" in response.content.decode()


@pytest.mark.django_db
def test_sign_up_explains_password_errors(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        reverse("accounts:signup"),
        {"full_name": "X", "email": "new@example.org", "password1": "123", "password2": "124"},
    )
    assert "Les deux mots de passe ne sont pas identiques." in response.content.decode()
    assert not User.objects.exists()


def _signup_page(response) -> str:  # type: ignore[no-untyped-def]
    """The page without what differs from one request to the next anyway (CSRF masks)."""
    return re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode())


@pytest.mark.django_db
def test_sign_up_answers_the_same_for_a_taken_address_and_tells_its_owner_once_an_hour(
    client, smtp_server, django_capture_on_commit_callbacks, settings
) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    settings.SITE_URL = "https://campagne.example.org"
    owner = UserFactory(email="taken@example.org")

    def sign_up(email: str):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("accounts:signup"),
                {
                    "full_name": "X",
                    "email": email,
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                },
            )

    free = sign_up("free@example.org")
    taken = sign_up("TAKEN@example.org")
    assert free.status_code == taken.status_code == 200
    assert re.sub("taken@example.org", "@", _signup_page(taken), flags=re.I) == re.sub(
        "free@example.org", "@", _signup_page(free)
    )
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1

    # Not a mail cannon: a second try within the hour mails nobody.
    sign_up("taken@example.org")
    assert [tos for _from, tos in smtp_server.envelopes] == [
        ["free@example.org"],
        ["taken@example.org"],
    ]
    body = smtp_server.messages[1].get_payload(decode=True).decode()
    assert "a essayé de créer un compte avec votre adresse" in body
    assert "https://campagne.example.org/accounts/password/reset/" in body
    assert "/accounts/confirm/" not in body


@pytest.mark.django_db
def test_signing_up_again_once_the_first_link_expired_starts_afresh(
    client, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    user = UserFactory(
        email="lent@example.org",
        is_active=False,
        date_joined=timezone.now() - timedelta(days=3),
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:signup"),
            {
                "full_name": "Lent",
                "email": "lent@example.org",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
    assert smtp_server.envelopes == [("campagne@localhost", ["lent@example.org"])]
    client.get(_link(smtp_server.messages[0].get_payload(decode=True).decode()))
    user.refresh_from_db()
    assert user.is_active and user.check_password(NEW_PASSWORD)
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_signing_up_over_a_pending_sign_up_sends_no_new_link(
    client, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    # Whoever signed up first chose the password: a link now would activate a stranger's.
    cache.clear()
    user = UserFactory(email="attente@example.org", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signup"),
            {
                "full_name": "Autre",
                "email": "attente@example.org",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
    assert "Vérifiez vos e-mails" in response.content.decode()
    body = smtp_server.messages[0].get_payload(decode=True).decode()
    assert "attend d'être activé" in body and "/accounts/confirm/" not in body
    user.refresh_from_db()
    assert not user.is_active and user.check_password(DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_the_password_reset_link_comes_from_site_url_not_the_host_header(
    client, smtp_server, settings
) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    settings.SITE_URL = "https://campagne.example.org"
    settings.ALLOWED_HOSTS = ["evil.example.com", "testserver"]
    UserFactory(email="oubli@example.org")
    client.post(
        reverse("accounts:password_reset"),
        {"email": "oubli@example.org"},
        HTTP_HOST="evil.example.com",
    )
    body = smtp_server.messages[0].get_payload(decode=True).decode()
    assert _link(body).startswith("https://campagne.example.org/accounts/password/reset/")
    assert "evil" not in body


@pytest.mark.django_db
def test_password_reset_mails_a_working_link(client, smtp_server) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(email="oubli@example.org")
    client.post(reverse("accounts:password_reset"), {"email": "oubli@example.org"})
    assert len(smtp_server.messages) == 1
    link = _link(smtp_server.messages[0].get_payload(decode=True).decode())
    response = client.get(link, follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_login_is_locked_after_repeated_failures(client) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="cible@example.org")
    for _ in range(3):
        client.post(
            reverse("accounts:login"), {"username": "cible@example.org", "password": "wrong"}
        )
    response = client.post(
        reverse("accounts:login"), {"username": "cible@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    # Three wrong passwords, then the right one refused because the account is locked.
    assert (
        AuditLogEntry.objects.filter(
            action="login_failed", target_label="cible@example.org"
        ).count()
        == 4
    )


@pytest.mark.django_db
def test_sign_up_is_rate_limited_per_address(client) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    statuses = [
        client.post(
            reverse("accounts:signup"),
            {
                "full_name": "Bot",
                "email": f"bot{i}@example.org",
                "password1": "1",
                "password2": "2",
            },
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


class InvitationTests(BaseTestCase):
    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get(reverse("accounts:invitations")).status_code, 403)
        self.assertEqual(
            self.client.post(
                reverse("accounts:invitations"), {"email": "x@example.org", "role": Role.ADMIN}
            ).status_code,
            403,
        )

    def test_staff_invite_a_volunteer_who_joins_with_the_link(self) -> None:
        self.login(self.owner)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("accounts:invitations"),
                {"email": "recrue@example.org", "role": Role.VOLUNTEER, "team": self.team.pk},
            )
        self.assertRedirects(response, reverse("accounts:invitations"))
        self.assertEqual(len(mail.outbox), 1)
        link = _link(mail.outbox[0].body)
        self.client.logout()
        self.assertContains(self.client.get(link), "Bénévole")
        response = self.client.post(
            link, {"full_name": "Rémi Recrue", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        self.assertRedirects(response, reverse("core:dashboard"))
        user = User.objects.get(email="recrue@example.org")
        self.assertEqual(user.role, Role.VOLUNTEER)
        self.assertEqual(list(user.teams.all()), [self.team])
        self.assertEqual(self.client.get(link).status_code, 404)

    def test_staff_cannot_invite_above_their_own_role(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("accounts:invitations"), {"email": "boss@example.org", "role": Role.ADMIN}
        )
        self.assertContains(response, "vous ne pouvez pas le donner")
        self.assertFalse(Invitation.objects.exists())

    def test_the_form_offers_only_the_roles_the_actor_may_grant(self) -> None:
        self.login(self.owner)
        body = self.client.get(reverse("accounts:invitations")).content.decode()
        self.assertIn(f'value="{Role.STAFF}"', body)
        self.assertNotIn(f'value="{Role.ADMIN}"', body)
        self.assertNotIn(str(Role.ADMIN.label), body)
        self.login(self.admin)
        self.assertContains(self.client.get(reverse("accounts:invitations")), Role.ADMIN.label)
        self.login(self.owner)
        self.assertNotContains(self.client.get(reverse("accounts:users")), f'value="{Role.ADMIN}"')

    def test_the_service_refuses_a_role_the_actor_may_not_grant_or_that_does_not_exist(
        self,
    ) -> None:
        for role in (Role.ADMIN, 15, 0, 999):
            with self.subTest(role=role), self.assertRaises(PermissionDenied):
                invitation_create(actor=self.owner, email="x@example.org", role=role)
        with self.assertRaises(PermissionDenied):
            user_set_role(actor=self.owner, user=self.teammate, role=15)
        self.assertFalse(Invitation.objects.exists())

    def test_a_tampered_form_gets_a_form_error_or_the_friendly_error_page(self) -> None:
        self.login(self.owner)
        url = reverse("accounts:invitations")
        for role in ("abc", "15", "1e3"):
            response = self.client.post(url, {"email": "x@example.org", "role": role})
            self.assertContains(response, "vous ne pouvez pas le donner")
        response = self.client.post(
            url, {"email": "x@example.org", "role": "20", **{f"f{i}": "x" for i in range(1200)}}
        )
        self.assertContains(response, "Demande impossible", status_code=400)
        self.assertContains(response, 'id="main"', status_code=400)
        response = self.client.post(
            reverse("accounts:user_role", args=[self.teammate.pk]), {"role": "abc"}, follow=True
        )
        self.assertContains(response, "vous ne pouvez pas le donner")
        self.assertFalse(Invitation.objects.exists())


class RoleTests(BaseTestCase):
    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        response = self.client.post(
            reverse("accounts:user_role", args=[self.outsider.pk]), {"role": Role.STAFF}
        )
        self.assertEqual(response.status_code, 403)
        self.outsider.refresh_from_db()
        self.assertEqual(self.outsider.role, Role.VOLUNTEER)

    def test_a_role_change_is_written_to_the_audit_log(self) -> None:
        self.login(self.owner)
        self.client.post(
            reverse("accounts:user_role", args=[self.teammate.pk]), {"role": Role.TEAM_LEADER}
        )
        self.teammate.refresh_from_db()
        self.assertEqual(self.teammate.role, Role.TEAM_LEADER)
        entry = AuditLogEntry.objects.get(action="role_change")
        self.assertEqual((entry.actor, entry.target_id), (self.owner, str(self.teammate.pk)))
        self.assertEqual(
            entry.changes["role"], [str(Role.VOLUNTEER.label), str(Role.TEAM_LEADER.label)]
        )

    def test_staff_cannot_demote_an_admin(self) -> None:
        self.login(self.owner)
        self.client.post(
            reverse("accounts:user_role", args=[self.admin.pk]), {"role": Role.VOLUNTEER}
        )
        self.admin.refresh_from_db()
        self.assertEqual(self.admin.role, Role.ADMIN)


class TwoFactorTests(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()  # the rate limits count in the cache

    def _code(self, device: TOTPDevice) -> str:
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"

    def _password_login(self, user: User) -> None:
        response = self.client.post(
            reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD}
        )
        self.assertEqual(response.status_code, 302)

    def test_staff_enable_totp_and_must_then_give_a_code_after_the_password(self) -> None:
        self._password_login(self.owner)
        self.assertContains(self.client.get(reverse("accounts:two_factor_setup")), "<svg")
        device = TOTPDevice.objects.get(user=self.owner, confirmed=False)
        response = self.client.post(
            reverse("accounts:two_factor_setup"),
            {"token": "000000" if self._code(device) != "000000" else "111111"},
        )
        self.assertContains(response, "Ce code ne correspond pas")
        device.refresh_from_db()
        device.throttle_reset()  # django-otp slows down retries after a failure; the test need not wait
        response = self.client.post(
            reverse("accounts:two_factor_setup"), {"token": self._code(device)}
        )
        # Turning it on shows the recovery codes, once.
        self.assertContains(response, 'data-testid="recovery-code"', count=10)
        self.client.logout()

        self._password_login(self.owner)
        response = self.client.get(reverse("core:audit_log"))
        self.assertRedirects(
            response,
            f"{reverse('accounts:two_factor_verify')}?next=/audit/",
            fetch_redirect_response=False,
        )
        device.refresh_from_db()
        device.last_t = -1  # the same 30-second code may be used once only: allow it again here
        device.save()
        response = self.client.post(
            reverse("accounts:two_factor_verify") + "?next=/audit/", {"token": self._code(device)}
        )
        self.assertRedirects(response, "/audit/")

    @override_settings(MAILLAGE_REQUIRE_2FA_FOR_ADMINS=True)
    def test_admins_must_set_up_totp_before_anything_else_in_production(self) -> None:
        self._password_login(self.admin)
        self.assertRedirects(
            self.client.get(reverse("core:dashboard")), reverse("accounts:two_factor_setup")
        )

    @override_settings(MAILLAGE_REQUIRE_2FA_FOR_ADMINS=True)
    def test_staff_are_not_forced_to_use_totp(self) -> None:
        self._password_login(self.owner)
        self.assertEqual(self.client.get(reverse("core:dashboard")).status_code, 200)
