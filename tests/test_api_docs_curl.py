"""Runs the curl session of docs/api.md against a live server with real tokens and
compares every answer with the JSON (or text) shown under its command."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from agents.models import ApiToken
from tests import factories

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
BLOCK = re.compile(r"```(bash|json|text)\n(.*?)```", re.S)
WILDCARD = "…"


def doc_steps() -> list[tuple[str, str, str]]:
    """(command, kind of the expected answer, expected answer) for every bash block of the guide."""
    blocks = BLOCK.findall(DOC.read_text())
    steps = []
    for index, (kind, body) in enumerate(blocks):
        if kind != "bash":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
        assert following[0] in ("json", "text"), f"the command {body[:60]!r} has no answer shown under it"
        steps.append((body, following[0], following[1]))
    return steps


def matches(expected, actual) -> bool:
    """``expected`` is a part of ``actual``: dict keys shown must be there with matching values,
    lists must match item by item, "…" matches anything."""
    if expected == WILDCARD:
        return True
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            matches(e, a) for e, a in zip(expected, actual, strict=True)
        )
    return expected == actual


def test_the_guide_has_a_curl_session():
    steps = doc_steps()
    assert len(steps) >= 20
    assert all("curl" in command for command, _kind, _expected in steps)


@pytest.mark.slow  # curl, jq and openssl processes against a live server
@pytest.mark.django_db(transaction=True)
def test_every_curl_of_the_guide_answers_as_documented(live_server, tmp_path):
    for tool in ("curl", "jq", "openssl"):
        assert shutil.which(tool), f"{tool} is needed to run the guide's examples"
    staff = factories.AdminFactory(username="boss")
    factories.PresenceFactory(agent=staff, logged_in=False)
    sales = factories.QueueFactory(name="Sales")
    anna = factories.UserFactory(username="anna", first_name="Anna")
    factories.PresenceFactory(agent=anna, logged_in=True)
    factories.MembershipFactory(agent=anna, queue=sales)
    env = {
        **os.environ,
        "PARLEY": live_server.url,
        "TOKEN": ApiToken.objects.create(user=staff)[1],
        "AGENT_TOKEN": ApiToken.objects.create(user=anna)[1],
        "VERIFY_TOKEN": settings.MESSENGER_VERIFY_TOKEN,
        "APP_SECRET": settings.MESSENGER_APP_SECRET,
    }
    steps = doc_steps()
    # One shell for the whole session, so that variables (ids, the visitor token) carry on.
    script = ["set -euo pipefail"]
    for number, (command, _kind, _expected) in enumerate(steps):
        script += [f"echo '@@step {number}@@'", command, "echo"]
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    outputs = re.split(r"^@@step \d+@@\n", result.stdout, flags=re.M)[1:]
    assert len(outputs) == len(steps), result.stdout
    transcript = []
    for (command, kind, expected), output in zip(steps, outputs, strict=True):
        transcript.append(f"$ {command.strip()}\n{output.strip()}")
        if kind == "text":
            assert output.strip() == expected.strip(), command
        else:
            actual = json.loads(output)
            assert matches(json.loads(expected), actual), f"{command}\nexpected {expected}\ngot {output}"
    (Path(settings.BASE_DIR) / "var").mkdir(exist_ok=True)
    (Path(settings.BASE_DIR) / "var" / "api-curl-session.txt").write_text("\n\n".join(transcript) + "\n")
