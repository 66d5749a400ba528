"""A timed rule run by two OS processes at the same moment on PostgreSQL: one effect, one event."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from agents.models import Presence
from chat.models import Chat, ChatEvent, Message
from tests import factories
from tests.chat.rules import rule_process
from tests.processes import process_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql("several OS processes on one database"),
]

ROOT = Path(settings.BASE_DIR)


def run_rule_in_processes(rule: str, processes: int = 2) -> list[int]:
    """Start ``processes`` OS processes, release them together, return what each rule run returned.

    Each process says "ready" on its standard output once connected and blocks reading its standard input:
    the test waits for every "ready" (a blocking read, 60 s at most), then writes "go" to all of them."""
    env = process_env(RULE_MEDIA_ROOT=str(settings.MEDIA_ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.chat.rules.rule_process", rule],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for proc in procs:
            readable, _, _ = select.select([proc.stdout], [], [], 60)
            line = proc.stdout.readline() if readable else ""
            assert line.strip() == rule_process.READY, ("the rule process did not start", line, proc.stderr.read())
        for proc in procs:
            proc.stdin.write(rule_process.GO + "\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            results.append(int(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def test_two_processes_closing_inactive_chats_at_once_close_each_chat_once():
    long_ago = timezone.now() - timedelta(hours=3)
    queue = factories.QueueFactory(name="Race")
    agents = [factories.UserFactory() for _ in range(40)]
    chats = []
    for agent in agents:
        Presence.objects.create(agent=agent, logged_in=True, open_chats=3)
        for _ in range(3):
            chats.append(Chat(channel="website", status="assigned", agent=agent, queue=queue, created_at=long_ago,
                              queued_at=long_ago, assigned_at=long_ago, page_closed_at=long_ago,
                              last_heartbeat_at=long_ago))
    for _ in range(180):
        chats.append(Chat(channel="website", status="waiting", queue=queue, created_at=long_ago, queued_at=long_ago,
                          page_closed_at=long_ago, last_heartbeat_at=long_ago))
    Chat.objects.bulk_create(chats)

    results = run_rule_in_processes("close_inactive")

    assert sum(results) == 300
    assert not Chat.objects.exclude(status="closed").exists()
    per_chat_events = ChatEvent.objects.filter(kind="closed").values("chat").annotate(n=Count("id"))
    assert sorted({row["n"] for row in per_chat_events}) == [1]
    assert per_chat_events.count() == 300
    per_chat_messages = Message.objects.filter(sender="system").values("chat").annotate(n=Count("id"))
    assert {row["n"] for row in per_chat_messages} == {1} and per_chat_messages.count() == 300
    assert set(Presence.objects.values_list("open_chats", flat=True)) == {0}


def test_two_processes_stopping_auto_assignment_at_once_write_one_event_per_chat():
    long_ago = timezone.now() - timedelta(hours=30)
    queue = factories.QueueFactory(name="Race")
    Chat.objects.bulk_create(
        [Chat(channel="website", status="waiting", queue=queue, created_at=long_ago, queued_at=long_ago)
         for _ in range(300)]
    )

    results = run_rule_in_processes("stop_auto_assign")

    assert sum(results) == 300
    assert not Chat.objects.filter(auto_assign_stopped_at__isnull=True).exists()
    per_chat = ChatEvent.objects.filter(kind="auto_assign_stopped").values("chat").annotate(n=Count("id"))
    assert {row["n"] for row in per_chat} == {1} and per_chat.count() == 300


def test_two_processes_transferring_unanswered_chats_at_once_transfer_each_chat_once():
    from django.db.models import F

    from chat.models import ChatSettings, NoReplyExclusion, QueueMembership

    card = ChatSettings.load()
    card.max_concurrent_chats = 3
    card.save()
    long_ago = timezone.now() - timedelta(minutes=10)
    queue = factories.QueueFactory(name="Race")
    agents = [factories.UserFactory() for _ in range(60)]
    chats = []
    for i, agent in enumerate(agents):
        QueueMembership.objects.create(agent=agent, queue=queue)
        busy = 2 if i < 30 else 0  # the first half has two unanswered chats each, the rest is free
        Presence.objects.create(agent=agent, logged_in=True, open_chats=busy)
        chats += [
            Chat(channel="website", status="assigned", agent=agent, queue=queue, created_at=long_ago,
                 queued_at=long_ago, assigned_at=long_ago, awaiting_reply_since=long_ago, last_heartbeat_at=long_ago)
            for _ in range(busy)
        ]
    Chat.objects.bulk_create(chats)
    before = {c.pk: c.agent_id for c in Chat.objects.all()}

    results = run_rule_in_processes("transfer_unanswered")

    assert sum(results) == 60
    per_chat = ChatEvent.objects.filter(kind="transferred", reason="no_reply").values("chat").annotate(n=Count("id"))
    assert {row["n"] for row in per_chat} == {1} and per_chat.count() == 60
    assert NoReplyExclusion.objects.count() == 60
    assert not Chat.objects.filter(pk__in=NoReplyExclusion.objects.filter(agent_id=F("chat__agent_id")).values("chat"))
    for chat_id, agent_id in Chat.objects.filter(status="assigned").values_list("id", "agent_id"):
        assert agent_id != before[chat_id]
    for presence in Presence.objects.all():
        held = Chat.objects.filter(agent_id=presence.agent_id, status="assigned").count()
        assert presence.open_chats == held <= 3


def test_two_processes_deleting_orphan_files_at_once_remove_every_orphan_and_nothing_else():
    """Issue 11, point 9: the sweep is safe with two workers (a file or folder the other removed first is no
    error), removes every orphan with its folders and never a file an attachment names."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from chat.models import Attachment

    old = (timezone.now() - timedelta(days=2)).timestamp()

    def store(name: str) -> Path:
        path = Path(default_storage.path(default_storage.save(name, ContentFile(b"x"))))
        os.utime(path, (old, old))
        return path

    orphans = [store(f"attachments/2025/0{1 + i % 9}/1{i % 7}/orphan-{i}/f.txt") for i in range(300)]
    message = factories.MessageFactory(chat=factories.ChatFactory())
    kept = []
    for i in range(30):
        name = f"attachments/2025/0{1 + i % 9}/1{i % 7}/live-{i}/f.txt"
        kept.append(store(name))
        Attachment.objects.create(message=message, token=f"live-{i}", file=name, original_name="f.txt", size=1,
                                  expires_at=timezone.now() + timedelta(days=1))

    results = run_rule_in_processes("delete_orphan_files")

    assert sum(results) >= 300  # a file both reached is counted by both
    assert not any(path.exists() for path in orphans)
    assert all(path.exists() for path in kept)
    root = Path(settings.MEDIA_ROOT) / "attachments"
    assert not [p for p in root.rglob("*") if p.is_dir() and not any(p.iterdir())]  # no empty folder left


def test_two_processes_taking_off_agents_without_an_inbox_at_once_act_once_per_agent():
    from agents.models import PresenceEvent
    from chat.models import QueueMembership

    long_ago = timezone.now() - timedelta(minutes=10)
    queue = factories.QueueFactory(name="Race")
    silent = [factories.UserFactory() for _ in range(40)]
    chats = []
    for agent in silent:
        QueueMembership.objects.create(agent=agent, queue=queue)
        Presence.objects.create(agent=agent, logged_in=True, open_chats=2, live_seen_at=long_ago)
        chats += [
            Chat(channel="website", status="assigned", agent=agent, queue=queue, created_at=long_ago,
                 queued_at=long_ago, assigned_at=long_ago, last_heartbeat_at=timezone.now())
            for _ in range(2)
        ]
    Chat.objects.bulk_create(chats)
    present = factories.UserFactory()  # his inbox is open: he stays, and gets what the others leave
    QueueMembership.objects.create(agent=present, queue=queue)
    Presence.objects.create(agent=present, logged_in=True, live_seen_at=timezone.now())

    results = run_rule_in_processes("follow_inbox")

    assert sum(results) == 40
    assert not Presence.objects.filter(agent__in=silent, logged_in=True).exists()
    per_agent = PresenceEvent.objects.filter(kind="logged_out", reason="no_inbox").values("agent").annotate(
        n=Count("id")
    )
    assert {row["n"] for row in per_agent} == {1} and per_agent.count() == 40
    per_chat = ChatEvent.objects.filter(kind="transferred", reason="agent_logged_out").values("chat").annotate(
        n=Count("id")
    )
    assert {row["n"] for row in per_chat} == {1} and per_chat.count() == 80
    assert not Chat.objects.filter(agent__in=silent).exists()
    assert Presence.objects.get(agent=present).logged_in
    assert set(Presence.objects.filter(agent__in=silent).values_list("open_chats", flat=True)) == {0}
