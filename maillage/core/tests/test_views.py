"""Core pages: home, dashboard per role, audit log access and filters, task progress."""

from django.urls import reverse

from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.services import audit_log_record, task_progress_create
from maillage.core.tests.base import BaseTestCase


class HomeTests(BaseTestCase):
    def test_it_shows_the_public_home_to_visitors(self) -> None:
        response = self.client.get(reverse("core:home"))
        self.assertContains(response, "Rejoindre la campagne")
        self.assertContains(response, "/static/vendor/htmx/htmx.min.js")

    def test_the_home_and_sign_up_pages_promise_only_what_exists(self) -> None:
        for url in (reverse("core:home"), reverse("accounts:signup")):
            body = self.client.get(url).content.decode().lower()
            for missing in ("forum", "blog", "sms"):
                self.assertNotIn(missing, body.split("<main")[1], f"{url} promises {missing}")

    def test_it_serves_no_asset_from_another_host(self) -> None:
        body = self.client.get(reverse("core:home")).content.decode()
        self.assertNotIn("https://", body.split("<main")[0])


class DashboardTests(BaseTestCase):
    def test_it_sends_visitors_to_the_login_page(self) -> None:
        response = self.client.get(reverse("core:dashboard"))
        self.assertRedirects(response, f"{reverse('accounts:login')}?next=/dashboard/")

    def test_a_volunteer_sees_no_staff_navigation(self) -> None:
        self.login(self.teammate)
        response = self.client.get(reverse("core:dashboard"))
        self.assertContains(response, "Tableau de bord")
        self.assertNotContains(response, reverse("core:audit_log"))

    def test_staff_see_the_audit_log_link_and_tile(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("core:dashboard"))
        self.assertContains(response, reverse("core:audit_log"))
        self.assertContains(response, "actions enregistrées")


class AuditLogTests(BaseTestCase):
    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        response = self.client.get(reverse("core:audit_log"))
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "Accès refusé", status_code=403)

    def test_it_filters_by_user_record_and_date(self) -> None:
        audit_log_record(actor=self.owner, action=AuditLogEntry.Action.VIEW, target=self.teammate)
        audit_log_record(
            actor=self.admin,
            action=AuditLogEntry.Action.EXPORT,
            target_type="people.segment",
            target_id=7,
            target_label="Infirmières",
        )
        self.login(self.owner)
        response = self.client.get(reverse("core:audit_log"), {"actor": "admin@example.org"})
        self.assertContains(response, "Infirmières")
        self.assertNotContains(response, "Théo Teammate")
        response = self.client.get(
            reverse("core:audit_log"),
            {"target_type": "accounts.user", "target_id": self.teammate.pk},
        )
        self.assertContains(response, "Théo Teammate")
        self.assertNotContains(response, "Infirmières")

    def test_it_rejects_a_reversed_date_range_with_a_message(self) -> None:
        self.login(self.owner)
        response = self.client.get(
            reverse("core:audit_log"), {"since": "2026-02-01", "until": "2026-01-01"}
        )
        self.assertContains(response, "La date de début est après la date de fin.")

    def test_the_list_costs_a_fixed_number_of_queries(self) -> None:
        for _ in range(30):
            audit_log_record(
                actor=self.admin, action=AuditLogEntry.Action.VIEW, target=self.teammate
            )
        self.login(self.owner)
        # session with its user, count, page rows (actor joined): navigation and tiles cost nothing here.
        with self.assertNumQueries(3):
            self.client.get(reverse("core:audit_log"))


class TaskProgressTests(BaseTestCase):
    def test_the_census_task_fills_its_progress_record(self) -> None:
        self.login(self.owner)
        response = self.client.post(reverse("core:census_start"))
        progress = TaskProgress.objects.get(kind="census")
        self.assertRedirects(response, reverse("core:task_progress_page", args=[progress.pk]))
        self.assertEqual(progress.status, TaskProgress.Status.SUCCEEDED)
        self.assertEqual(progress.percent, 100)
        self.assertEqual(progress.result["counts"]["accounts.User"], 4)

    def test_progress_is_polled_as_json(self) -> None:
        progress = task_progress_create(kind="census", label="x", owner=self.teammate, total=10)
        TaskProgress.objects.filter(pk=progress.pk).update(
            done=4, status=TaskProgress.Status.RUNNING
        )
        self.login(self.teammate)
        data = self.client.get(
            reverse("core:task_progress", args=[progress.pk]), HTTP_ACCEPT="application/json"
        ).json()
        self.assertEqual((data["percent"], data["status"]), (40, "running"))

    def test_it_validates_access(self) -> None:
        progress = task_progress_create(kind="census", label="x", owner=self.teammate)
        self.login(self.outsider)
        response = self.client.get(reverse("core:task_progress", args=[progress.pk]))
        self.assertEqual(response.status_code, 404)


class FaviconTests(BaseTestCase):
    def test_every_page_names_the_icon(self) -> None:
        self.assertContains(
            self.client.get(reverse("core:home")),
            '<link rel="icon" href="/static/core/favicon.svg" type="image/svg+xml">',
            html=True,
        )

    def test_favicon_ico_leads_to_the_icon_which_is_served(self) -> None:
        response = self.client.get("/favicon.ico")
        self.assertRedirects(
            response, "/static/core/favicon.svg", status_code=301, fetch_redirect_response=False
        )
        icon = self.client.get("/static/core/favicon.svg")
        self.assertEqual(icon.status_code, 200)
        self.assertEqual(icon["Content-Type"], "image/svg+xml")
        self.assertIn(b"<svg", b"".join(icon.streaming_content))


class UnknownHostTests(BaseTestCase):
    def test_a_request_for_another_host_gets_the_400_page_not_a_traceback(self) -> None:
        # CommonMiddleware refuses the host before the authentication middleware has set
        # request.user: the error page is drawn for an anonymous visitor.
        response = self.client.get("/", HTTP_HOST="attacker.example.net")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Maillage", status_code=400)
        self.assertNotContains(response, "main-nav", status_code=400)
