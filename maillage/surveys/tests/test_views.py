"""The script editor's pages: access, editing through forms, refusals as messages, preview."""

from __future__ import annotations

from io import StringIO

from django.urls import reverse

from maillage.core.tests.base import BaseTestCase
from maillage.surveys.demo import SCRIPT_NAME, load_demo
from maillage.surveys.models import Choice, Question, Script
from maillage.surveys.services import choice_add, question_add, script_create


class ScriptPagesTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.script = script_create(actor=self.owner, name="Appels du soir")
        self.support = question_add(
            actor=self.owner, script=self.script, text="Soutien ?", kind="support", required=True
        )
        self.topic = question_add(
            actor=self.owner, script=self.script, text="Sujet ?", kind="choice"
        )
        self.bus = choice_add(actor=self.owner, question=self.topic, label="Bus")
        self.stop = choice_add(
            actor=self.owner, question=self.topic, label="Rien", ends_script=True
        )
        self.line = question_add(actor=self.owner, script=self.script, text="Ligne ?", kind="text")
        self.last = question_add(actor=self.owner, script=self.script, text="Merci ?", kind="text")

    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        for url in (
            reverse("surveys:script_list"),
            reverse("surveys:script_detail", args=[self.script.pk]),
            reverse("surveys:script_preview", args=[self.script.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 403)
        response = self.client.post(reverse("surveys:question_delete", args=[self.line.pk]))
        self.assertEqual(response.status_code, 403)
        self.assertTrue(Question.objects.filter(pk=self.line.pk).exists())

    def test_the_list_and_the_editor_in_constant_queries(self) -> None:
        self.login(self.owner)
        with self.assertNumQueries(2):  # session with its user, scripts with their question counts
            response = self.client.get(reverse("surveys:script_list"))
        self.assertContains(response, "Appels du soir")
        # session with its user, access check, script, questions, choices, later questions per choice
        # form are read from the prefetched questions (no query per form)
        with self.assertNumQueries(5):
            response = self.client.get(reverse("surveys:script_detail", args=[self.script.pk]))
        self.assertContains(response, "Plutôt contre")
        self.assertContains(response, "Fin du script")

    def test_create_script_question_and_branch_through_the_forms(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("surveys:script_list"), {"name": "Nouveau", "is_active": "on"}
        )
        created = Script.objects.get(name="Nouveau")
        self.assertRedirects(response, reverse("surveys:script_detail", args=[created.pk]))
        self.client.post(
            reverse("surveys:question_create", args=[created.pk]), {"text": "Q1", "kind": "choice"}
        )
        self.client.post(
            reverse("surveys:question_create", args=[created.pk]), {"text": "Q2", "kind": "text"}
        )
        q1, q2 = created.questions.order_by("position")
        self.client.post(
            reverse("surveys:choice_create", args=[q1.pk]),
            {f"new{q1.pk}-label": "Oui", f"new{q1.pk}-leads_to": str(q2.pk)},
        )
        self.assertEqual(list(q1.choices.values_list("label", "next_question")), [("Oui", q2.pk)])

    def test_a_backward_branch_is_refused_with_a_clear_message(self) -> None:
        self.login(self.owner)
        choice_add(
            actor=self.owner,
            question=question_add(
                actor=self.owner, script=self.script, text="Fin ?", kind="choice"
            ),
            label="x",
        )
        later = self.script.questions.get(text="Fin ?")
        response = self.client.post(
            reverse("surveys:choice_create", args=[later.pk]),
            {f"new{later.pk}-label": "Retour", f"new{later.pk}-leads_to": str(self.topic.pk)},
            follow=True,
        )
        self.assertFalse(Choice.objects.filter(label="Retour").exists())
        # The form offers later questions only: an earlier one is refused, and said.
        said = " ".join(str(m) for m in response.context["messages"])
        self.assertIn("choix valide", said)
        # Moving the branch target above its source is refused by the service, said the same way.
        self.client.post(
            reverse("surveys:choice_edit", args=[self.bus.pk]),
            {f"c{self.bus.pk}-label": "Bus", f"c{self.bus.pk}-leads_to": str(self.last.pk)},
        )
        self.client.post(reverse("surveys:question_move", args=[self.last.pk]), {"direction": "up"})
        response = self.client.post(
            reverse("surveys:question_move", args=[self.last.pk]), {"direction": "up"}, follow=True
        )
        self.assertIn("en arrière", " ".join(str(m) for m in response.context["messages"]))
        self.topic.refresh_from_db()
        self.assertEqual(self.topic.position, 2)

    def test_the_preview_walks_the_branching(self) -> None:
        self.login(self.owner)
        url = reverse("surveys:script_preview", args=[self.script.pk])
        undecided = self.support.choices.get(support_level=3)
        response = self.client.get(url)
        self.assertContains(response, "Soutien ?")
        response = self.client.get(url, {f"a{self.support.pk}": undecided.pk})
        self.assertContains(response, "Sujet ?")
        response = self.client.get(
            url, {f"a{self.support.pk}": undecided.pk, f"a{self.topic.pk}": self.stop.pk}
        )
        self.assertContains(response, "Fin du script")
        self.assertNotContains(response, "Ligne ?")
        response = self.client.get(
            url, {f"a{self.support.pk}": undecided.pk, f"a{self.topic.pk}": self.bus.pk}
        )
        self.assertContains(response, "Ligne ?")


class DemoTestCase(BaseTestCase):
    def test_the_demo_script_loads_once_with_a_valid_branching(self) -> None:
        out = StringIO()
        from maillage.accounts.demo import load_demo as accounts_demo

        accounts_demo(stdout=out, small=True)
        load_demo(stdout=out, small=True)
        load_demo(stdout=out, small=True)
        script = Script.objects.get(name=SCRIPT_NAME)
        kinds = list(script.questions.values_list("kind", flat=True))
        self.assertEqual(kinds, ["support", "choice", "text", "choice", "text"])
        branched = Choice.objects.filter(question__script=script, next_question__isnull=False)
        self.assertTrue(all(c.next_question.position > c.question.position for c in branched))
        self.assertEqual(Script.objects.filter(name=SCRIPT_NAME).count(), 1)


class AuditTestCase(BaseTestCase):
    def test_script_edits_read_as_sentences_in_the_audit_log(self) -> None:
        script = script_create(actor=self.owner, name="Soirée")
        question_add(actor=self.owner, script=script, text="Soutien ?", kind="support")
        self.login(self.admin)
        response = self.client.get(reverse("core:audit_log"))
        self.assertContains(response, "Création du script « Soirée »")
        self.assertContains(response, "question ajoutée « Soutien ? »")
