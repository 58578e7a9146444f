"""Scripts: editing, forward-only branching, the support question, answers along the path."""

from __future__ import annotations

from maillage.core.errors import NotFound
from maillage.core.models import AuditLogEntry
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Interaction
from maillage.people.tests.helpers import at, make_person
from maillage.surveys.models import Answer, Question, Script
from maillage.surveys.selectors import (
    access_script,
    answers_for_interactions,
    script_as_dict,
    script_for_caller,
    script_list,
)
from maillage.surveys.services import (
    ScriptError,
    answers_record,
    choice_add,
    choice_delete,
    choice_update,
    question_add,
    question_delete,
    question_move,
    script_create,
    script_delete,
    script_update,
)


class ScriptTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.script = script_create(actor=self.owner, name=" Premier passage ")
        self.support = question_add(
            actor=self.owner, script=self.script, text="Soutien ?", kind="support", required=True
        )
        self.topic = question_add(
            actor=self.owner, script=self.script, text="Ce qui compte ?", kind="choice"
        )
        self.transport = choice_add(actor=self.owner, question=self.topic, label="Transports")
        self.nothing = choice_add(
            actor=self.owner, question=self.topic, label="Rien", ends_script=True
        )
        self.detail = question_add(
            actor=self.owner, script=self.script, text="Quelle ligne ?", kind="text"
        )
        self.last = question_add(
            actor=self.owner, script=self.script, text="Un mot ?", kind="text", required=True
        )
        self.person = make_person()

    def interaction(self) -> Interaction:
        return Interaction.objects.create(
            person=self.person, channel="door", result="talked", occurred_at=at("2026-05-01T10:00")
        )

    def test_a_support_question_has_the_five_levels(self) -> None:
        levels = list(self.support.choices.values_list("support_level", "label"))
        self.assertEqual([level for level, _label in levels], [1, 2, 3, 4, 5])
        self.assertEqual(self.script.name, "Premier passage")
        with self.assertRaises(ScriptError):
            question_add(actor=self.owner, script=self.script, text="Encore", kind="support")
        with self.assertRaises(ScriptError):
            choice_add(actor=self.owner, question=self.support, label="Peut-être")

    def test_branching_only_goes_forward(self) -> None:
        choice_update(
            actor=self.owner,
            choice=self.transport,
            label="Transports",
            next_question_id=self.detail.pk,
        )
        later = question_add(actor=self.owner, script=self.script, text="Et ?", kind="choice")
        with self.assertRaisesMessage(ScriptError, "plus loin"):
            choice_add(actor=self.owner, question=later, label="x", next_question_id=self.topic.pk)
        with self.assertRaises(ScriptError):  # a question cannot lead to itself (a loop)
            choice_update(
                actor=self.owner, choice=self.transport, label="T", next_question_id=self.topic.pk
            )
        other = script_create(actor=self.owner, name="Autre")
        elsewhere = question_add(actor=self.owner, script=other, text="Ailleurs", kind="text")
        with self.assertRaises(ScriptError):
            choice_update(
                actor=self.owner, choice=self.transport, label="T", next_question_id=elsewhere.pk
            )

    def test_a_move_that_would_branch_backwards_is_refused(self) -> None:
        choice_update(
            actor=self.owner,
            choice=self.transport,
            label="Transports",
            next_question_id=self.last.pk,
        )
        question_move(actor=self.owner, question=self.last, offset=-1)  # 3rd: still after 2nd
        with self.assertRaisesMessage(ScriptError, "en arrière"):  # 2nd: before its branch
            question_move(actor=self.owner, question=self.last, offset=-1)
        self.topic.refresh_from_db()
        self.assertEqual(self.topic.position, 2)
        positions = list(self.script.questions.values_list("text", flat=True))
        self.assertEqual(positions, ["Soutien ?", "Ce qui compte ?", "Un mot ?", "Quelle ligne ?"])

    def test_answers_follow_the_path(self) -> None:
        choice_update(
            actor=self.owner,
            choice=self.transport,
            label="Transports",
            next_question_id=self.last.pk,
        )
        interaction = self.interaction()
        undecided = self.support.choices.get(support_level=3)
        with self.assertRaisesMessage(ScriptError, "chemin"):  # the branch skips "Quelle ligne ?"
            answers_record(
                interaction=interaction,
                script=self.script,
                answers={
                    self.support.pk: undecided.pk,
                    self.topic.pk: self.transport.pk,
                    self.detail.pk: "2",
                },
            )
        with self.assertRaisesMessage(ScriptError, "demande une réponse"):
            answers_record(
                interaction=interaction,
                script=self.script,
                answers={self.support.pk: undecided.pk, self.topic.pk: self.transport.pk},
            )
        with self.assertRaises(ScriptError):  # a choice of another question
            answers_record(
                interaction=interaction,
                script=self.script,
                answers={self.support.pk: self.nothing.pk},
            )
        stored = answers_record(
            interaction=interaction,
            script=self.script,
            answers={self.support.pk: undecided.pk, self.topic.pk: self.nothing.pk},
        )
        self.assertEqual(len(stored), 2)
        again = answers_record(interaction=interaction, script=self.script, answers={})
        self.assertEqual({a.pk for a in again}, {a.pk for a in stored})
        found = answers_for_interactions([interaction.pk])
        self.assertEqual(
            [a.choice_id for a in found[interaction.pk]], [undecided.pk, self.nothing.pk]
        )

    def test_an_answered_question_or_choice_stays(self) -> None:
        interaction = self.interaction()
        answers_record(
            interaction=interaction,
            script=self.script,
            answers={
                self.support.pk: self.support.choices.first().pk,
                self.topic.pk: self.nothing.pk,
            },  # type: ignore[union-attr]
        )
        with self.assertRaises(ScriptError):
            question_delete(actor=self.owner, question=self.topic)
        with self.assertRaises(ScriptError):
            choice_delete(actor=self.owner, choice=self.nothing)
        with self.assertRaises(ScriptError):
            script_delete(actor=self.owner, script=self.script)
        choice_delete(actor=self.owner, choice=self.transport)
        question_delete(actor=self.owner, question=self.detail)
        self.assertEqual(list(self.script.questions.values_list("position", flat=True)), [1, 2, 3])

    def test_the_caller_shape_in_three_queries(self) -> None:
        choice_update(
            actor=self.owner,
            choice=self.transport,
            label="Transports",
            next_question_id=self.detail.pk,
        )
        with self.assertNumQueries(3):  # the script, its questions, their choices
            data = script_as_dict(script_for_caller(script_id=self.script.pk))
        self.assertEqual(
            [q["kind"] for q in data["questions"]], ["support", "choice", "text", "text"]
        )
        topic = data["questions"][1]
        self.assertEqual(
            topic["choices"],
            [
                {
                    "id": self.transport.pk,
                    "label": "Transports",
                    "next": self.detail.pk,
                    "end": False,
                    "support_level": None,
                },
                {
                    "id": self.nothing.pk,
                    "label": "Rien",
                    "next": None,
                    "end": True,
                    "support_level": None,
                },
            ],
        )

    def test_scope_and_audit(self) -> None:
        script_update(
            actor=self.owner, script=self.script, name="P1", description="", is_active=False
        )
        self.assertTrue(
            AuditLogEntry.objects.filter(target_type="surveys.script", action="update").exists()
        )
        self.assertIn(self.script, script_list(user=self.owner))
        self.assertNotIn(self.script, script_list(user=self.teammate))  # inactive
        with self.assertRaises(NotFound):
            access_script(user=self.teammate, script_id=self.script.pk)
        with self.assertRaises(NotFound):
            access_script(user=self.owner, script_id="nope")
        self.assertEqual(Script.objects.count(), 1)
        self.assertEqual(Question.objects.count(), 4)
        self.assertFalse(Answer.objects.exists())
