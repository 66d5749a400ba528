"""The import layers hold (docs/decisions.md, "Import layers"): import-linter's contracts in pyproject.toml.

``lint-imports`` runs from the virtualenv of this interpreter over the whole tree, as CI runs it;
it needs no database. A broken contract prints the import chain that breaks it.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_every_import_contract_is_kept(tmp_path):
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-logo", "--cache-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in result.stdout, result.stdout


def test_the_contracts_cover_the_rules_of_the_layers():
    """The rules the contracts stand for (issue 12, point 5) stay in them."""
    by_id = {contract["id"]: contract for contract in contracts()}
    chat = by_id["chat-layers"]["layers"]
    assert [layer.split()[0] for layer in chat] == ["chat.admin", "chat.services", "chat.routing", "chat.models"]
    assert {"chat.api", "chat.inbox", "chat.widget", "chat.messenger", "chat.tasks", "chat.management"} <= {
        name.strip() for name in chat[0].split("|")
    }
    assert "chat.services" in by_id["apps-no-chat-services"]["forbidden_modules"]
    assert {"agents", "crm"} == set(by_id["apps-no-chat-services"]["source_modules"])
    assert "chat.api" in by_id["public-ways-in"]["forbidden_modules"]
    assert by_id["apps"]["layers"][-1] == "core"
