"""``python3 parley.py start``: the processes it starts, checked on the commands it builds."""

from __future__ import annotations

import pytest

import parley


def test_start_serves_the_demo_on_127_0_0_1_by_default():
    env = parley.start_env()
    commands = parley.start_commands({**env, "PARLEY_HOST": "", "PARLEY_PORT": "8000"})
    assert commands["web"][2:] == ["runserver", "127.0.0.1:8000", "--noreload"]
    assert not any("0.0.0.0" in arg for command in commands.values() for arg in command)


@pytest.mark.parametrize(
    ("host", "address"), [("0.0.0.0", "0.0.0.0:9000"), ("192.168.1.20", "192.168.1.20:9000"), ("::", "[::]:9000")]
)
def test_start_binds_the_address_it_is_told(host, address):
    commands = parley.start_commands({"PARLEY_HOST": host, "PARLEY_PORT": "9000"})
    assert commands["web"][3] == address


def test_start_uses_the_local_settings_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    assert parley.start_env()["DJANGO_SETTINGS_MODULE"] == "config.settings.local"
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.production")
    assert parley.start_env()["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
