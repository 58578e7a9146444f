"""Two-factor authentication in a real browser: turn it on from the profile, keep the recovery
codes shown once, and come back in with one after the password."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import browser_login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_turn_on_two_factor_and_come_back_with_a_recovery_code(page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="samir@example.org", full_name="Samir Staff", role=Role.STAFF)
    browser_login(page, live_server, "samir@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_role("link", name="Activer").click()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(b32decode(secret)):06d}")
    page.get_by_role("button", name="Confirmer").click()
    codes = page.get_by_test_id("recovery-code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "recovery-codes")
    page.get_by_role("link", name="C'est noté").click()
    assert (
        "Il vous reste 10 codes de secours."
        in page.get_by_test_id("recovery-codes-remaining").inner_text()
    )

    page.get_by_role("button", name="Déconnexion").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Adresse e-mail").fill("samir@example.org")
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/accounts/2fa/verify/**")
    page.get_by_label("Code à 6 chiffres, ou un code de secours").fill(codes[0])
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
