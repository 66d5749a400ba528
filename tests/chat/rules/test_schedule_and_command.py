"""The schedule (PeriodicTask rows from the data migration), the thin tasks and run_chat_rules."""

from __future__ import annotations

import importlib
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from chat import tasks
from chat.models import Chat
from config.celery import app

from .conftest import reload

pytestmark = pytest.mark.django_db

EXPECTED = {
    "chat.tasks.transfer_unanswered_chats": 5,
    "chat.tasks.presence_follow_inbox": 15,
    "chat.tasks.dispatch_task": 15,
    "chat.tasks.close_inactive_chats": 30,
    "chat.tasks.stop_auto_assign": 60,
    "chat.tasks.expire_attachments": 300,
    "chat.tasks.purge_closed_chats": 3600,
    "chat.tasks.delete_orphan_files": 3600,
    "chat.tasks.release_held_chats": 30,
    "chat.messenger.tasks.sweep_messenger_outbox": 10,
    "chat.tasks.sweep_offline_emails": 30,
}


def test_the_data_migration_schedules_every_rule_and_the_dispatch_sweep():
    rows = {t.task: (t.interval.every, t.interval.period, t.enabled) for t in PeriodicTask.objects.all()}
    assert {task: rows[task] for task in EXPECTED} == {task: (s, "seconds", True) for task, s in EXPECTED.items()}


def test_every_scheduled_task_is_a_registered_celery_task():
    app.loader.import_default_modules()
    assert set(EXPECTED) <= set(app.tasks)


def test_creating_the_schedule_again_changes_nothing():
    from django.apps import apps

    migration = importlib.import_module("chat.migrations.0003_periodic_tasks")
    outbox = importlib.import_module("chat.migrations.0007_messenger_outbox")
    before = list(PeriodicTask.objects.order_by("id").values_list("name", "task", "interval_id"))
    migration.create_periodic_tasks(apps)
    outbox.create_outbox_sweep_task(apps)
    assert list(PeriodicTask.objects.order_by("id").values_list("name", "task", "interval_id")) == before


def test_creating_the_orphan_files_schedule_again_changes_nothing():
    from django.apps import apps

    migration = importlib.import_module("chat.migrations.0009_orphan_files_task")
    before = list(PeriodicTask.objects.order_by("id").values_list("name", "task", "interval_id", "expire_seconds"))
    migration.create_orphan_files_task(apps)
    assert list(PeriodicTask.objects.order_by("id").values_list("name", "task", "interval_id", "expire_seconds")) == (
        before
    )


def test_creating_the_release_schedule_again_changes_nothing():
    from django.apps import apps

    migration = importlib.import_module("chat.migrations.0020_release_held_task")
    before = list(PeriodicTask.objects.order_by("id").values_list("name", "task", "interval_id", "expire_seconds"))
    migration.create_release_held_task(apps)
    assert list(PeriodicTask.objects.order_by("id").values_list("name", "task", "interval_id", "expire_seconds")) == (
        before
    )
    row = PeriodicTask.objects.get(task="chat.tasks.release_held_chats")
    assert (row.interval.every, row.expire_seconds, row.enabled) == (30, 30, True)


def test_the_orphan_files_task_runs_its_service(clock, settings):
    from pathlib import Path

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("attachments/2025/01/01/tok/left.txt", ContentFile(b"x"))
    written = clock(days=-30).timestamp()
    os.utime(default_storage.path(name), (written, written))
    clock()
    assert tasks.delete_orphan_files.apply().get() == 1
    assert not Path(settings.MEDIA_ROOT, name).exists()


def test_the_close_task_runs_its_service(clock, make_chat):
    chat = make_chat(page_closed_at=clock())
    clock(hours=1)
    assert tasks.close_inactive_chats.apply().get() == 1
    assert reload(chat).status == Chat.Status.CLOSED


def test_rule_tasks_are_acknowledged_late():
    for name in EXPECTED:
        if name != "chat.tasks.dispatch_task":
            assert app.tasks[name].acks_late, name


def test_run_chat_rules_runs_each_rule_once_and_says_what_it_did(clock, make_chat):
    make_chat(page_closed_at=clock())
    clock(hours=1)
    out = StringIO()
    call_command("run_chat_rules", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "transfer_unanswered", "follow_inbox", "close_inactive", "stop_auto_assign", "expire_attachments",
        "purge_closed", "delete_orphan_files", "release_held", "dispatch", "offline_emails", "messenger_outbox",
    ]
    assert lines[2].startswith("close_inactive: 1 inactive chats closed (")


def test_run_chat_rules_can_run_one_rule(clock, make_chat):
    make_chat(page_closed_at=clock())
    clock(hours=1)
    out = StringIO()
    call_command("run_chat_rules", "--rule", "stop_auto_assign", stdout=out)
    assert out.getvalue().startswith("stop_auto_assign: 0 chats no longer auto-assigned (")
    assert Chat.objects.filter(status=Chat.Status.CLOSED).count() == 0
