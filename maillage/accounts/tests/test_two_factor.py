"""Two-factor authentication: the gate before the second factor, replacing and disabling a
device, single-use recovery codes stored hashed, and the audit rows and emails of every change."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.accounts.models import RecoveryCode, RecoveryCodeDevice, User
from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase

_CODE_RE = re.compile(r'data-testid="recovery-code">([^<]+)<')


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _fresh_code(device: TOTPDevice) -> str:
    """The current code, usable again: django-otp refuses a 30-second code seen before and slows
    down retries after a failure, which a test that reuses the clock need not wait for."""
    device.refresh_from_db()
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    return _code(device)


def _verify_url(next_path: str) -> str:
    return f"{reverse('accounts:two_factor_verify')}?next={next_path}"


class TwoFactorGateTests(BaseTestCase):
    """Before the second factor, a password alone opens the verify page and logout, nothing else."""

    def setUp(self) -> None:
        cache.clear()  # the rate limits count in the cache
        self.device = TOTPDevice.objects.create(user=self.admin, name="Téléphone", confirmed=True)

    def _password_login(self, user: User) -> None:
        response = self.client.post(
            reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD}
        )
        self.assertEqual(response.status_code, 302)

    def test_a_password_only_session_cannot_disable_the_device(self) -> None:
        self._password_login(self.admin)
        url = reverse("accounts:two_factor_disable")
        response = self.client.post(url, {"token": "123456"})
        self.assertRedirects(response, _verify_url(url), fetch_redirect_response=False)
        self.assertTrue(TOTPDevice.objects.filter(pk=self.device.pk, confirmed=True).exists())
        self.assertEqual(self.client.get("/people/").status_code, 302)

    def test_a_password_only_session_cannot_read_or_replace_the_device(self) -> None:
        self._password_login(self.admin)
        url = reverse("accounts:two_factor_setup")
        response = self.client.get(url)
        self.assertRedirects(response, _verify_url(url), fetch_redirect_response=False)
        self.assertNotContains(response, "totp-secret", status_code=302)
        response = self.client.post(url, {"token": "123456"})
        self.assertRedirects(response, _verify_url(url), fetch_redirect_response=False)
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.admin)), [self.device])
        self.assertEqual(TOTPDevice.objects.get(pk=self.device.pk).bin_key, self.device.bin_key)

    def test_a_password_only_session_cannot_regenerate_recovery_codes(self) -> None:
        self._password_login(self.admin)
        url = reverse("accounts:two_factor_recovery_codes")
        response = self.client.post(url, {"token": "123456"})
        self.assertRedirects(response, _verify_url(url), fetch_redirect_response=False)
        self.assertFalse(RecoveryCode.objects.exists())

    @override_settings(DEBUG=False, MAILLAGE_REQUIRE_2FA_FOR_ADMINS=True)
    def test_an_admin_with_a_device_reaches_nothing_but_the_verify_page_in_production(
        self,
    ) -> None:
        self._password_login(self.admin)
        # The attack of issue #11: disable the device, or set up one's own, then walk in.
        self.client.post(reverse("accounts:two_factor_disable"), {"token": "123456"})
        setup = reverse("accounts:two_factor_setup")
        self.client.get(setup)
        attacker = TOTPDevice.objects.filter(user=self.admin, confirmed=False).first()
        if attacker is not None:
            self.client.post(setup, {"token": _fresh_code(attacker)})
        for path in ("/audit/", "/people/", "/", "/admin/", reverse("accounts:profile")):
            response = self.client.get(path)
            self.assertRedirects(response, _verify_url(path), fetch_redirect_response=False)
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.admin)), [self.device])
        self.assertEqual(self.client.get(reverse("accounts:two_factor_verify")).status_code, 200)
        response = self.client.post(reverse("accounts:logout"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.client.get("/audit/").status_code, 302)

    @override_settings(DEBUG=False, MAILLAGE_REQUIRE_2FA_FOR_ADMINS=True)
    def test_the_next_address_keeps_its_query_string(self) -> None:
        self._password_login(self.admin)
        response = self.client.get("/people/?q=a&page=2")
        self.assertRedirects(
            response, _verify_url("/people/%3Fq%3Da%26page%3D2"), fetch_redirect_response=False
        )
        response = self.client.post(response.url, {"token": _fresh_code(self.device)}, follow=False)
        self.assertRedirects(response, "/people/?q=a&page=2", fetch_redirect_response=False)

    @override_settings(MAILLAGE_REQUIRE_2FA_FOR_ADMINS=True)
    def test_an_admin_without_a_device_may_reach_the_setup_page_only(self) -> None:
        self.device.delete()
        self._password_login(self.admin)
        self.assertContains(self.client.get(reverse("accounts:two_factor_setup")), "totp-secret")
        for path in ("/audit/", reverse("accounts:two_factor_disable")):
            self.assertRedirects(
                self.client.get(path),
                reverse("accounts:two_factor_setup"),
                fetch_redirect_response=False,
            )

    def test_a_session_that_predates_the_device_must_verify_before_changing_it(self) -> None:
        # Logged in before the device was confirmed (elsewhere): the session's flag is stale,
        # but the 2FA pages read the database.
        self.device.delete()
        self._password_login(self.admin)
        TOTPDevice.objects.create(user=self.admin, name="Téléphone", confirmed=True)
        for path in (
            reverse("accounts:two_factor_setup"),
            reverse("accounts:two_factor_disable"),
            reverse("accounts:two_factor_recovery_codes"),
        ):
            response = self.client.post(path, {"token": "123456", "current_token": "123456"})
            self.assertRedirects(response, _verify_url(path), fetch_redirect_response=False)
        self.assertEqual(TOTPDevice.objects.filter(user=self.admin).count(), 1)


class TwoFactorChangeTests(BaseTestCase):
    """A verified session still needs a current code to disable or replace the device."""

    def setUp(self) -> None:
        cache.clear()  # the rate limits count in the cache
        self.device = TOTPDevice.objects.create(user=self.owner, name="Téléphone", confirmed=True)
        self.login(self.owner)
        response = self.client.post(
            reverse("accounts:two_factor_verify"), {"token": _fresh_code(self.device)}
        )
        self.assertEqual(response.status_code, 302)

    def test_it_validates_access(self) -> None:
        # Another person's session cannot touch the owner's device: every write acts on the
        # acting user, and the outsider has no device to disable.
        self.client.logout()
        self.login(self.outsider)
        self.client.post(reverse("accounts:two_factor_disable"), {"token": _code(self.device)})
        self.assertTrue(TOTPDevice.objects.filter(pk=self.device.pk).exists())

    def test_disabling_needs_a_valid_current_code(self) -> None:
        url = reverse("accounts:two_factor_disable")
        self.assertContains(self.client.get(url), 'name="token"')
        response = self.client.post(url, {"token": "000000"})
        self.assertContains(response, "Code incorrect")
        self.assertTrue(TOTPDevice.objects.filter(pk=self.device.pk).exists())
        response = self.client.post(url, {"token": ""})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(TOTPDevice.objects.filter(pk=self.device.pk).exists())

        response = self.client.post(url, {"token": _fresh_code(self.device)})
        self.assertRedirects(response, reverse("accounts:profile"))
        self.assertFalse(TOTPDevice.objects.filter(user=self.owner).exists())
        entry = AuditLogEntry.objects.filter(action="two_factor").latest("at")
        self.assertEqual(entry.changes, {"totp": "disabled"})
        self.assertEqual(self.client.get("/people/").status_code, 200)

    def test_replacing_the_device_needs_a_code_from_the_current_one(self) -> None:
        url = reverse("accounts:two_factor_setup")
        self.assertContains(self.client.get(url), 'name="current_token"')
        new = TOTPDevice.objects.get(user=self.owner, confirmed=False)
        response = self.client.post(url, {"token": _fresh_code(new), "current_token": "000000"})
        self.assertContains(response, "Code incorrect")
        self.assertEqual(
            list(TOTPDevice.objects.filter(user=self.owner, confirmed=True)), [self.device]
        )

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                url, {"token": _fresh_code(new), "current_token": _fresh_code(self.device)}
            )
        self.assertRedirects(response, reverse("accounts:profile"))
        self.assertEqual([message.to for message in mail.outbox], [[self.owner.email]])
        self.assertIn("appareil de double authentification a été remplacé", mail.outbox[0].body)
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.owner)), [new])
        new.refresh_from_db()
        self.assertTrue(new.confirmed)
        self.assertEqual(
            AuditLogEntry.objects.filter(action="two_factor").latest("at").changes,
            {"totp": "replaced"},
        )

    def test_regenerating_recovery_codes_needs_a_current_code_and_voids_the_old_ones(self) -> None:
        url = reverse("accounts:two_factor_recovery_codes")
        response = self.client.post(url, {"token": "000000"})
        self.assertContains(response, "Code incorrect")
        self.assertFalse(RecoveryCode.objects.exists())

        response = self.client.post(url, {"token": _fresh_code(self.device)})
        first = _CODE_RE.findall(response.content.decode())
        self.assertEqual(len(first), 10)
        self.assertEqual(
            response["Cache-Control"], "max-age=0, no-cache, no-store, must-revalidate, private"
        )
        response = self.client.post(url, {"token": _fresh_code(self.device)})
        second = _CODE_RE.findall(response.content.decode())
        self.assertEqual(len(second), 10)
        self.assertFalse(set(first) & set(second))
        self.assertEqual(RecoveryCode.objects.filter(device__user=self.owner).count(), 10)
        # Shown once: the profile gives the number left, never the codes.
        response = self.client.get(reverse("accounts:profile"))
        self.assertContains(response, "10 codes de secours")
        self.assertNotContains(response, second[0])


class RecoveryCodeTests(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()  # the rate limits count in the cache

    def _enable(self, user: User) -> tuple[TOTPDevice, list[str]]:
        self.login(user)
        url = reverse("accounts:two_factor_setup")
        self.client.get(url)
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        response = self.client.post(url, {"token": _fresh_code(device)})
        self.assertEqual(response.status_code, 200)
        codes = _CODE_RE.findall(response.content.decode())
        self.assertEqual(len(codes), 10)
        self.client.logout()
        return device, codes

    def _password_login(self, user: User) -> None:
        self.client.post(
            reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD}
        )

    def test_enabling_shows_ten_codes_once_and_stores_them_hashed(self) -> None:
        _device, codes = self._enable(self.owner)
        self.assertEqual(len(set(codes)), 10)
        stored = list(RecoveryCode.objects.values_list("digest", flat=True))
        self.assertEqual(len(stored), 10)
        for code in codes:
            self.assertRegex(code, r"^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$")
            self.assertFalse(
                any(code in digest or code.replace("-", "") in digest for digest in stored)
            )
        self.assertEqual(
            AuditLogEntry.objects.filter(action="two_factor").order_by("pk").last().changes,
            {"recovery_codes": "generated"},
        )

    def test_a_recovery_code_verifies_a_session_once_only(self) -> None:
        _device, codes = self._enable(self.owner)
        self._password_login(self.owner)
        self.assertEqual(self.client.get("/people/").status_code, 302)
        response = self.client.post(
            reverse("accounts:two_factor_verify"), {"token": codes[3].upper().replace("-", " ")}
        )
        self.assertRedirects(response, reverse("core:dashboard"), fetch_redirect_response=False)
        self.assertEqual(self.client.get("/people/").status_code, 200)
        self.assertEqual(RecoveryCode.objects.filter(used_at__isnull=False).count(), 1)
        entry = AuditLogEntry.objects.filter(action="two_factor").latest("pk")
        self.assertEqual(entry.changes, {"recovery_codes": "used", "remaining": 9})

        self.client.logout()
        self._password_login(self.owner)
        response = self.client.post(reverse("accounts:two_factor_verify"), {"token": codes[3]})
        self.assertContains(response, "Code incorrect")
        self.assertEqual(self.client.get("/people/").status_code, 302)

    def test_a_recovery_code_can_replace_a_lost_phone(self) -> None:
        old, codes = self._enable(self.owner)
        self._password_login(self.owner)
        self.client.post(reverse("accounts:two_factor_verify"), {"token": codes[0]})
        url = reverse("accounts:two_factor_setup")
        self.client.get(url)
        new = TOTPDevice.objects.get(user=self.owner, confirmed=False)
        response = self.client.post(url, {"token": _fresh_code(new), "current_token": codes[1]})
        self.assertRedirects(response, reverse("accounts:profile"))
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.owner)), [new])
        self.assertFalse(TOTPDevice.objects.filter(pk=old.pk).exists())

    def test_disabling_removes_the_recovery_codes(self) -> None:
        _device, codes = self._enable(self.owner)
        self._password_login(self.owner)
        self.client.post(reverse("accounts:two_factor_verify"), {"token": codes[0]})
        response = self.client.post(reverse("accounts:two_factor_disable"), {"token": codes[1]})
        self.assertRedirects(response, reverse("accounts:profile"))
        self.assertFalse(RecoveryCodeDevice.objects.exists())
        self.assertFalse(RecoveryCode.objects.exists())


@pytest.mark.django_db
def test_every_two_factor_change_is_mailed_to_the_owner(
    client, smtp_server, django_capture_on_commit_callbacks, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://campagne.example.org"
    cache.clear()
    user = UserFactory(email="mfa@example.org", role=Role.STAFF)
    client.force_login(user, backend="maillage.accounts.backends.AccountBackend")
    url = reverse("accounts:two_factor_setup")
    client.get(url)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"token": _fresh_code(device)})
    codes = _CODE_RE.findall(response.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:two_factor_recovery_codes"), {"token": codes[0]})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:two_factor_disable"), {"token": _fresh_code(device)})

    # One email per change, to the owner only, with links built from SITE_URL.
    assert {to for _from, tos in smtp_server.envelopes for to in tos} == {"mfa@example.org"}
    bodies = [message.get_payload(decode=True).decode() for message in smtp_server.messages]
    assert len(bodies) == 3, bodies
    assert "double authentification a été activée" in bodies[0]
    assert "codes de secours ont été créés" in bodies[0]
    assert "code de secours a été utilisé" in bodies[1]
    assert "codes de secours ont été créés" in bodies[1]
    assert "double authentification a été désactivée" in bodies[2]
    for body in bodies:
        assert "https://campagne.example.org/accounts/profile/" in body
    assert [
        entry.changes
        for entry in AuditLogEntry.objects.filter(action="two_factor", actor=user).order_by("pk")
    ] == [
        {"totp": "setup_started"},
        {"totp": "enabled"},
        {"recovery_codes": "generated"},
        {"recovery_codes": "used", "remaining": 9},
        {"recovery_codes": "generated"},
        {"totp": "disabled"},
    ]


class OtherSessionTests(BaseTestCase):
    """A session opened with the password alone (perhaps a thief's) ends when the owner turns
    2FA on, replaces the phone or turns it off; the session that made the change stays."""

    def setUp(self) -> None:
        cache.clear()
        self.other = Client()
        self.other.force_login(self.owner, backend="maillage.accounts.backends.AccountBackend")
        self.assertEqual(self.other.get("/people/").status_code, 200)
        self.login(self.owner)

    def _assert_other_session_ended(self) -> None:
        self.assertEqual(self.client.get("/people/").status_code, 200)
        response = self.other.get("/people/")
        self.assertRedirects(
            response,
            f"{reverse('accounts:login')}?next=/people/",
            fetch_redirect_response=False,
        )

    def test_turning_two_factor_on_ends_the_other_sessions(self) -> None:
        url = reverse("accounts:two_factor_setup")
        self.client.get(url)
        device = TOTPDevice.objects.get(user=self.owner, confirmed=False)
        self.assertEqual(self.client.post(url, {"token": _fresh_code(device)}).status_code, 200)
        self._assert_other_session_ended()

    def test_turning_two_factor_off_ends_the_other_sessions(self) -> None:
        device = TOTPDevice.objects.create(user=self.owner, name="Téléphone", confirmed=True)
        self.client.post(reverse("accounts:two_factor_verify"), {"token": _fresh_code(device)})
        response = self.client.post(
            reverse("accounts:two_factor_disable"), {"token": _fresh_code(device)}
        )
        self.assertRedirects(response, reverse("accounts:profile"))
        self._assert_other_session_ended()
