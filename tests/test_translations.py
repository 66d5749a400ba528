"""Every string people see is in Polish and English (issue 17, point 5, and the brief): the Polish catalogue
(locale/pl/LC_MESSAGES/django.po, made by makemessages) has a translation for every msgid, none fuzzy, each with
the placeholders of its msgid, and the compiled catalogue says the same."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def po_entries(path: Path, *, fuzzy: set[str] | None = None) -> dict[str, list[str]]:
    """msgid -> its msgstr(s), from a PO file (multi-line strings joined; obsolete entries left out); the msgids
    marked fuzzy (makemessages' guesses from a similar string: wrong until a person checks them) go to ``fuzzy``."""
    entries: dict[str, list[str]] = {}
    fuzzy = set() if fuzzy is None else fuzzy
    current: dict[str, list[str]] = {}
    key = None

    def flush():
        if "msgid" in current:
            if "msgctxt" in current:  # gettext's own key of a msgid with a context
                current["msgid"] = ["".join(current["msgctxt"]) + "\x04", *current["msgid"]]
            entries["".join(current["msgid"])] = ["".join(v) for k, v in current.items() if k.startswith("msgstr")]
            if "fuzzy" in current:
                fuzzy.add("".join(current["msgid"]))
            if "msgid_plural" in current:
                entries["".join(current["msgid_plural"])] = entries["".join(current["msgid"])]

    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("#,") and "fuzzy" in line:
            if any(k.startswith("msgstr") for k in current):
                flush()
                current = {}
            current["fuzzy"] = []
        if not line or line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?)\s+"(.*)"$', line)
        if match:
            if match.group(1) in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in current):
                flush()
                current = {}
            key = match.group(1)
            current[key] = [bytes(match.group(2), "utf-8").decode("unicode_escape").encode("latin-1").decode()]
        elif line.startswith('"') and key:
            current[key].append(bytes(line[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode())
    flush()
    return entries



def test_every_msgid_has_a_polish_translation_and_none_is_a_guess():
    guesses: set[str] = set()
    entries = po_entries(CATALOGUE, fuzzy=guesses)
    missing = sorted(msgid for msgid, texts in entries.items() if msgid and not all(texts))
    assert missing == []
    assert sorted(guesses) == []


def test_each_translation_keeps_the_placeholders_of_its_msgid():
    for msgid, texts in po_entries(CATALOGUE).items():
        if not msgid:
            continue
        for text in texts:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def read(key: str) -> str:
    context, _sep, msgid = key.rpartition("\x04")
    return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


def test_the_compiled_catalogue_is_current():
    """django.mo was compiled from this django.po: a sample of msgids reads translated through gettext."""
    guesses: set[str] = set()  # not compiled: the first test refuses them
    entries = [
        (m, t[0]) for m, t in po_entries(CATALOGUE, fuzzy=guesses).items() if m and len(t) == 1 and t[0]
    ]
    entries = [(m, text) for m, text in entries if m not in guesses]
    assert entries
    with translation.override("pl"):
        stale = [m for m, text in entries if read(m) != text]
    assert stale == []
