"""The Django admin is a maintenance window for superusers who passed 2FA; everyone else,
campaign staff and admins included, is turned away with a readable page."""

from __future__ import annotations

from django.urls import reverse

from maillage.accounts.tests.factories import UserFactory
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase


class AdminSiteTests(BaseTestCase):
    def test_it_validates_access(self) -> None:
        for user in (self.outsider, self.owner, self.admin):
            self.login(user)
            response = self.client.get(reverse("admin:index"), follow=True)
            self.assertEqual(response.status_code, 403, user)
            self.assertContains(
                response, "réservé à la maintenance", status_code=403, msg_prefix=str(user)
            )
            self.assertEqual(self.client.get("/admin/people/person/").status_code, 302)

    def test_visitors_are_sent_to_the_site_login(self) -> None:
        response = self.client.get(reverse("admin:index"), follow=True)
        self.assertEqual(
            response.redirect_chain[-1][0], f"{reverse('accounts:login')}?next=/admin/"
        )

    def test_the_admin_login_form_is_not_a_way_in(self) -> None:
        superuser = UserFactory(role=Role.ADMIN, is_superuser=True)
        response = self.client.post(
            reverse("admin:login"), {"username": superuser.email, "password": self.password}
        )
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("accounts:login")))
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_superuser_without_two_factor_is_told_to_set_it_up(self) -> None:
        self.login(UserFactory(role=Role.ADMIN, is_superuser=True))
        response = self.client.get(reverse("admin:index"), follow=True)
        self.assertContains(response, "double authentification", status_code=403)

    def test_a_superuser_who_passed_two_factor_gets_in(self) -> None:
        self.login_with_2fa(UserFactory(role=Role.ADMIN, is_superuser=True))
        self.assertEqual(self.client.get(reverse("admin:index")).status_code, 200)
        self.assertEqual(self.client.get("/admin/people/person/").status_code, 200)

    def test_staff_with_two_factor_stay_out(self) -> None:
        self.login_with_2fa(self.owner)
        self.assertEqual(self.client.get(reverse("admin:index"), follow=True).status_code, 403)
