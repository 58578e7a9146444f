"""House rules that ruff and mypy cannot express, checked on the source: `python tools/house_rules.py`.

`make lint` runs it, and `maillage/core/tests/test_house_rules.py` runs it in the test suite, so a
branch that breaks a rule fails both. Each rule reads the syntax tree of every module of
`maillage/` and `config/` outside tests and migrations, and prints `path:line: CODE message`.

HR001  A user-facing exception gets a bare string. Messages of `ApplicationError` and its
       subclasses, of Django's `ValidationError` and `CommandError`, and of `CodeError` (its text
       ends up in import errors) are read by people in either language: they go through
       `gettext` as `_("… %(name)s …") % {"name": value}`, a plain literal inside `_()` so that
       `makemessages` can extract it (an f-string inside `_()` is flagged too).
HR002  A `user` or `actor` parameter typed `Any` (or not typed). Apps name the User model
       (`maillage.accounts.models.User`); core, which may not import accounts, names Django's
       `AbstractBaseUser` (with `AnonymousUser` where a visitor may come in).
HR004  Two exception classes of the user-facing family share a name (say `ImportFileError` in
       two apps): an `except` or an import then means one or the other by accident.
HR005  `.save()` that names neither `update_fields` nor `force_insert`. An existing row is
       written with `save(update_fields=[…])` naming what changed (so concurrent writers of other
       columns are not undone); a new row with `objects.create()` or `save(force_insert=True)`.
       A write that really touches every column says so: `save(update_fields=None)` with a
       comment. (Calls with positional arguments, `commit=` or `**kwargs` are not model saves
       or pass through one.)
HR003  A `# fmt: skip` / `# fmt: off` marker (tests and benchmarks included): ruff format lays out
       every line; a table that reads badly formatted becomes data (a tuple per line, a file).
HR006  A value cut to a column's length by a literal, `value[:150]` passed as a keyword argument
       (`.create(name=…)`, `defaults={…}`) or assigned to an attribute, where 150 is a `max_length`
       declared in the models: the number is copied by hand and drifts when the column changes.
       Cut with `max_length(Model, "field")` (maillage.core.columns) instead.
HR007  A translation asked for inside an f-string's braces (`f"<h2>{_('Adresse')}</h2>"`):
       `makemessages` does not read the expressions of an f-string, so the text falls out of the
       message catalogues and every language shows the French. Ask first, then print the name.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("maillage", "config")
TEXT_PACKAGES = ("maillage", "config", "benchmarks", "tools")

# Exceptions whose message a person reads; subclasses (found by name in the source) count too.
USER_FACING_ROOTS = frozenset({"ApplicationError", "ValidationError", "CommandError", "CodeError"})
GETTEXT = frozenset(
    {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
)


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


def source_files(root: Path = ROOT) -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).parts
            if "tests" in parts or "migrations" in parts:
                continue
            yield path


def all_source_files(root: Path = ROOT) -> Iterator[Path]:
    """Every module, tests included, for the rules that read comments."""
    for package in TEXT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.relative_to(root).parts:
                yield path


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def user_facing_exceptions(trees: Iterable[ast.Module]) -> set[str]:
    """The root names plus every class that derives from one of them, to a fixed point."""
    family = set(USER_FACING_ROOTS)
    classes = [
        (node.name, {_name_of(base) for base in node.bases})
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    ]
    grown = True
    while grown:
        grown = False
        for name, bases in classes:
            if name not in family and bases & family:
                family.add(name)
                grown = True
    return family


def _is_gettext_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _name_of(node.func) in GETTEXT


def _bare_text(node: ast.expr) -> str | None:
    """Why this message expression is not translatable, or None when it is (or cannot be known)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "a bare string"
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Mod) and _is_gettext_call(node.left):
            return _bare_text(node.left)
        return _bare_text(node.left) or _bare_text(node.right)
    if isinstance(node, ast.Call):
        if _is_gettext_call(node):
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                return "gettext of something other than a plain literal (not extractable)"
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return _bare_text(node.func.value)
    return None


def check_gettext_outside_fstrings(trees: dict[str, ast.Module]) -> list[Violation]:
    found: list[Violation] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            for part in node.values:
                if not isinstance(part, ast.FormattedValue):
                    continue
                for inner in ast.walk(part.value):
                    if isinstance(inner, ast.expr) and _is_gettext_call(inner):
                        found.append(
                            Violation(
                                path,
                                inner.lineno,
                                "HR007",
                                "a translation inside an f-string: makemessages cannot extract it",
                            )
                        )
    return found


def check_translated_messages(trees: dict[str, ast.Module]) -> list[Violation]:
    family = user_facing_exceptions(trees.values())
    found: list[Violation] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name_of(node.func) not in family:
                continue
            messages = node.args[:1] + [k.value for k in node.keywords if k.arg == "message"]
            for message in messages:
                why = _bare_text(message)
                if why:
                    found.append(
                        Violation(
                            path,
                            node.lineno,
                            "HR001",
                            f"{_name_of(node.func)} gets {why}; wrap it: "
                            '_("… %(name)s …") % {"name": value}',
                        )
                    )
    return found


def check_unique_exception_names(trees: dict[str, ast.Module]) -> list[Violation]:
    family = user_facing_exceptions(trees.values())
    first_seen: dict[str, str] = {}
    found: list[Violation] = []
    for path, tree in sorted(trees.items()):
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name in family:
                if node.name in first_seen:
                    found.append(
                        Violation(
                            path,
                            node.lineno,
                            "HR004",
                            f"exception {node.name} is also defined in {first_seen[node.name]}",
                        )
                    )
                else:
                    first_seen[node.name] = path
    return found


SAVE_INTENT = frozenset({"update_fields", "force_insert", "commit"})


def check_save_names_its_fields(trees: dict[str, ast.Module]) -> list[Violation]:
    found: list[Violation] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "save"
                and not node.args
            ):
                continue
            keywords = {keyword.arg for keyword in node.keywords}
            if None in keywords or keywords & SAVE_INTENT:
                continue
            found.append(
                Violation(
                    path,
                    node.lineno,
                    "HR005",
                    f"{ast.unparse(node)}: name update_fields=[…] (or force_insert=True for a new row)",
                )
            )
    return found


ACTOR_PARAMETERS = frozenset({"user", "actor"})


def check_typed_actors(trees: dict[str, ast.Module]) -> list[Violation]:
    found: list[Violation] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            for argument in arguments:
                if argument.arg not in ACTOR_PARAMETERS:
                    continue
                annotation = argument.annotation
                if annotation is None or "Any" in ast.unparse(annotation).replace("|", " ").split():
                    found.append(
                        Violation(
                            path,
                            node.lineno,
                            "HR002",
                            f"{node.name}({argument.arg}: …) is not typed as a user; "
                            "name the User model (core: AbstractBaseUser)",
                        )
                    )
    return found


FORMATTER_OPT_OUTS = ("fmt: skip", "fmt: off", "fmt: on", "yapf: disable")


def _model_lengths(trees: dict[str, ast.Module]) -> set[int]:
    """Every literal `max_length=N` of the project's models."""
    lengths: set[int] = set()
    for path, tree in trees.items():
        if not (path.endswith("/models.py") or "/models/" in path):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "max_length":
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, int):
                    lengths.add(value.value)
    return lengths


def _literal_cut(node: ast.expr | None, lengths: set[int]) -> int | None:
    """N when `node` is `…[:N]` with N a model column length of at least 20."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)):
        return None
    cut = node.slice
    if cut.lower is not None or cut.step is not None or not isinstance(cut.upper, ast.Constant):
        return None
    upper = cut.upper.value
    if isinstance(upper, int) and upper >= 20 and upper in lengths:
        return upper
    return None


def check_column_lengths_by_hand(trees: dict[str, ast.Module]) -> list[Violation]:
    lengths = _model_lengths(trees)
    found: list[Violation] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            values: list[ast.expr | None] = []
            if isinstance(node, ast.Call):
                values += [keyword.value for keyword in node.keywords if keyword.arg]
                for keyword in node.keywords:
                    if keyword.arg == "defaults" and isinstance(keyword.value, ast.Dict):
                        values += keyword.value.values
            elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Attribute) for target in node.targets
            ):
                values.append(node.value)
            for value in values:
                cut = _literal_cut(value, lengths)
                if cut is not None and value is not None:
                    found.append(
                        Violation(
                            path,
                            value.lineno,
                            "HR006",
                            f"[:{cut}] copies a max_length by hand: cut with max_length(Model, field)",
                        )
                    )
    return found


def check_formatter_opt_outs(texts: dict[str, str]) -> list[Violation]:
    found: list[Violation] = []
    for path, text in texts.items():
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and any(
                marker in token.string for marker in FORMATTER_OPT_OUTS
            ):
                found.append(
                    Violation(
                        path, token.start[0], "HR003", "formatter opt-out: let ruff format it"
                    )
                )
    return found


def read(paths: Iterable[Path], root: Path = ROOT) -> dict[str, str]:
    return {str(path.relative_to(root)): path.read_text(encoding="utf-8") for path in paths}


def parse(paths: Iterable[Path], root: Path = ROOT) -> dict[str, ast.Module]:
    return {
        str(path.relative_to(root)): ast.parse(path.read_text(encoding="utf-8"), str(path))
        for path in paths
    }


CHECKS = (
    check_translated_messages,
    check_typed_actors,
    check_unique_exception_names,
    check_save_names_its_fields,
    check_column_lengths_by_hand,
    check_gettext_outside_fstrings,
)
TEXT_CHECKS = (check_formatter_opt_outs,)


def check(trees: dict[str, ast.Module], texts: dict[str, str] | None = None) -> list[Violation]:
    """The rules over syntax trees (modules outside tests), then those over text (all modules)."""
    violations = [violation for rule in CHECKS for violation in rule(trees)]
    violations += [violation for rule in TEXT_CHECKS for violation in rule(texts or {})]
    return sorted(violations, key=lambda v: (v.path, v.line, v.code))


def check_tree(root: Path = ROOT) -> list[Violation]:
    return check(parse(source_files(root), root), read(all_source_files(root), root))


def main() -> int:
    violations = check_tree()
    for violation in violations:
        print(violation)
    if violations:
        print(f"{len(violations)} house-rule violation(s).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
