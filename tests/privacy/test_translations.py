"""Every string the privacy requests show people is in Polish (issue 17, point 5): each msgid of privacy/ and of
its templates has a Polish translation, in locale/pl/NEW-privacy.po (merged into the catalogue by the lead) or
already in a compiled catalogue (the project's, Django's)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "pl" / "LC_MESSAGES" / "NEW-privacy.po"
PROJECT_CATALOGUE = ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"
SOURCES = sorted((ROOT / "privacy").rglob("*.py"))
TEMPLATES = sorted((ROOT / "templates" / "admin" / "privacy").glob("*.html"))
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
TEMPLATE_STRING = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.*?)\1""")


def source_msgids() -> set[str]:
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in GETTEXT:
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                args = node.args[1:] if name.startswith("pgettext") else node.args
                args = args[:2] if name.startswith("ngettext") else args[:1]
                found.update(a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    for path in TEMPLATES:
        found.update(match.group(2) for match in TEMPLATE_STRING.finditer(path.read_text()))
    return found


def po_entries(path: Path) -> dict[str, list[str]]:
    """msgid -> its msgstr(s), from a plain PO file (multi-line strings joined)."""
    entries: dict[str, list[str]] = {}
    current: dict[str, list[str]] = {}
    key = None

    def flush():
        if "msgid" in current:
            entries["".join(current["msgid"])] = ["".join(v) for k, v in current.items() if k.startswith("msgstr")]
            if "msgid_plural" in current:
                entries["".join(current["msgid_plural"])] = entries["".join(current["msgid"])]

    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d\])?)\s+"(.*)"$', line)
        if match:
            if match.group(1) == "msgid":
                flush()
                current = {}
            key = match.group(1)
            current[key] = [bytes(match.group(2), "utf-8").decode("unicode_escape").encode("latin-1").decode()]
        elif line.startswith('"') and key:
            current[key].append(bytes(line[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode())
    flush()
    return entries


def test_every_string_of_the_privacy_requests_has_a_polish_translation():
    ours = po_entries(CATALOGUE)
    assert ours[""], "the catalogue starts with its header entry"
    project = po_entries(PROJECT_CATALOGUE)
    missing = []
    for msgid in sorted(source_msgids()):
        if any(msgid in catalogue and all(catalogue[msgid]) for catalogue in (ours, project)):
            continue
        with translation.override("pl"):
            if translation.gettext(msgid) != msgid:  # translated already (the project's catalogue, Django's)
                continue
        missing.append(msgid)
    assert missing == []


def test_the_catalogue_keeps_the_placeholders_of_each_msgid():
    for msgid, translations in po_entries(CATALOGUE).items():
        placeholders = sorted(re.findall(r"%\(\w+\)[sd]", msgid))
        for text in translations:
            assert sorted(re.findall(r"%\(\w+\)[sd]", text)) == placeholders, msgid
