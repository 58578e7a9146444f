"""The English catalog ships complete: every message in the .po is translated, and the
compiled .mo (what Django reads) matches the .po (run `make messages` after editing)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"
_ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) ((?:".*"\n?)+)', re.MULTILINE)


def _po_entries() -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""' not in block:
            entries.append({"fuzzy": block})
        lines = "\n".join(line for line in block.splitlines() if not line.startswith("#"))
        fields = {
            key: "".join(ast.literal_eval(part) for part in re.findall(r'".*"', value))
            for key, value in _ENTRY.findall(lines + "\n")
        }
        if fields.get("msgid"):
            entries.append(fields)
    return entries


def test_every_message_has_an_english_translation() -> None:
    entries = _po_entries()
    assert len(entries) > 500
    fuzzy = [entry["fuzzy"][:120] for entry in entries if "fuzzy" in entry]
    assert fuzzy == []
    untranslated = [
        entry["msgid"]
        for entry in entries
        if "fuzzy" not in entry and not (entry.get("msgstr") or entry.get("msgstr[0]"))
    ]
    assert untranslated == []


def test_the_compiled_catalog_matches_the_source() -> None:
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    for entry in _po_entries():
        if "fuzzy" in entry or "msgid_plural" in entry:
            continue
        if "msgctxt" in entry:
            translated = catalog.pgettext(entry["msgctxt"], entry["msgid"])
        else:
            translated = catalog.gettext(entry["msgid"])
        assert translated == entry["msgstr"], entry["msgid"]
