"""The house rules of `tools/house_rules.py` hold on the whole source tree, and each rule
catches what it is meant to catch (and nothing more)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("house_rules", ROOT / "tools" / "house_rules.py")
assert _spec and _spec.loader
house_rules = importlib.util.module_from_spec(_spec)
sys.modules["house_rules"] = house_rules
_spec.loader.exec_module(house_rules)


def test_the_import_contracts_hold() -> None:
    """The layering of docs/architecture.md (pyproject's [tool.importlinter]), as `make lint`."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:]


def _violations(source: str) -> list[str]:
    trees = {"maillage/example/services.py": ast.parse(textwrap.dedent(source))}
    return [f"{v.line} {v.code}" for v in house_rules.check(trees)]


def test_the_source_tree_keeps_every_house_rule() -> None:
    violations = house_rules.check_tree()
    assert [str(v) for v in violations] == []


def test_it_flags_a_user_facing_exception_given_a_bare_string() -> None:
    source = """
        from django.utils.translation import gettext as _
        from maillage.core.errors import ApplicationError

        class NotFound(ApplicationError):
            pass

        def f(slug, where):
            raise NotFound("Aucune élection.")
            raise NotFound(f"Aucune élection « {slug} ».")
            raise NotFound(where + " : vide")
            raise ApplicationError("« {} »".format(slug))
            raise ApplicationError(message="vide")
            raise ApplicationError(_(f"Aucune élection « {slug} »."))
        """
    assert _violations(source) == [f"{line} HR001" for line in range(9, 15)]


def test_it_accepts_translated_messages_and_messages_built_elsewhere() -> None:
    source = """
        class NotFound(ApplicationError): ...
        from django import forms
        from django.core.management.base import CommandError
        from django.utils.translation import gettext as _, gettext_lazy
        from maillage.core.errors import NotFound

        def f(slug, error, message):
            raise NotFound(_("Aucune élection « %(slug)s ».") % {"slug": slug})
            raise forms.ValidationError(gettext_lazy("Invalide."))
            raise CommandError(error.message)
            raise NotFound(message)
            raise ValueError(f"internal {slug}")
        """
    assert _violations(source) == []


def test_it_follows_subclasses_across_modules_and_django_exceptions() -> None:
    trees = {
        "a.py": ast.parse("class SegmentError(ApplicationError): ...\n"),
        "b.py": ast.parse(
            "class FilterError(SegmentError): ...\n"
            "raise FilterError('x')\n"
            "raise forms.ValidationError('y')\n"
            "raise CommandError(f'z {a}')\n"
            "raise CodeError('w')\n"
        ),
    }
    assert [(v.path, v.line) for v in house_rules.check(trees)] == [
        ("b.py", 2),
        ("b.py", 3),
        ("b.py", 4),
        ("b.py", 5),
    ]


def test_it_flags_a_user_or_actor_typed_any_or_not_typed() -> None:
    source = """
        def person_update(*, actor: Any, person: Person) -> None: ...
        def people_visible_to(*, user) -> None: ...
        def export(*, actor: Any | None = None) -> None: ...
        def typed(*, actor: User, user: AbstractBaseUser | AnonymousUser) -> None: ...
        def other(*, users: Any, request: Any) -> None: ...
        """
    assert _violations(source) == ["2 HR002", "3 HR002", "4 HR002"]


def test_it_flags_formatter_opt_outs_in_comments_only() -> None:
    texts = {
        "a.py": 'TABLE = [1,  2]  # fmt: skip\n# fmt: off\nX = 1\nY = "# fmt: skip"\n',
    }
    assert [(v.line, v.code) for v in house_rules.check({}, texts)] == [(1, "HR003"), (2, "HR003")]


def test_it_flags_two_user_facing_exceptions_with_the_same_name() -> None:
    trees = {
        "maillage/people/imports/reader.py": ast.parse(
            "class ImportFileError(ApplicationError): ...\nclass Tag: ...\n"
        ),
        "maillage/elections/importers/base.py": ast.parse(
            "class ImportFileError(ApplicationError): ...\nclass Tag: ...\n"
        ),
    }
    assert [(v.path, v.code) for v in house_rules.check(trees)] == [
        ("maillage/people/imports/reader.py", "HR004")
    ]


def test_it_flags_a_save_that_names_no_fields() -> None:
    source = """
        def f(person, job, form, workbook, kwargs):
            person.save()
            job.save(using="default")
            person.save(update_fields=["notes", "updated_at"])
            person.save(force_insert=True)
            person.save(update_fields=None)
            form.save(commit=False)
            workbook.save("out.xlsx")
            super().save(**kwargs)
        """
    assert _violations(source) == ["3 HR005", "4 HR005"]


def test_it_flags_a_column_length_copied_by_hand_into_a_model_write() -> None:
    trees = {
        "maillage/a/models.py": ast.parse("class A:\n    name = CharField(max_length=150)\n"),
        "maillage/a/services.py": ast.parse(
            "A.objects.create(name=name[:150])\n"
            "A.objects.get_or_create(code=c, defaults={'name': name[:150]})\n"
            "a.name = name[:150]\n"
            "A.objects.create(name=name[:40])\n"
            "A.objects.create(name=name[:15])\n"
            "head = sample[:150]\n"
            "A.objects.create(name=name[: max_length(A, 'name')])\n"
        ),
    }
    assert [(v.path, v.line, v.code) for v in house_rules.check(trees)] == [
        ("maillage/a/services.py", 1, "HR006"),
        ("maillage/a/services.py", 2, "HR006"),
        ("maillage/a/services.py", 3, "HR006"),
    ]


def test_it_flags_a_translation_asked_for_inside_an_f_string() -> None:
    trees = {
        "maillage/people/selectors/sheet.py": ast.parse(
            'label = _("Adresse")\n'
            'html = f"<h2>{label}</h2>"\n'
            "other = f\"<h2>{_('Notes')}</h2><p>{escape(ngettext('a', 'b', n))}</p>\"\n"
        ),
    }
    assert [(v.line, v.code) for v in house_rules.check(trees)] == [(3, "HR007"), (3, "HR007")]
