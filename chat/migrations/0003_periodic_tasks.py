"""The timed rules' schedule as django_celery_beat rows (not CELERY_BEAT_SCHEDULE), so that the
admin can see, change and switch each rule off (Admin -> Periodic tasks).

``create_periodic_tasks(apps, schema_editor)`` is idempotent (update_or_create by name) and is also
called by the end-to-end test, whose transactional database is flushed of migration data.
"""

from django.db import migrations

# (name shown in the admin, task, every N seconds, description)
PERIODIC_TASKS = [
    (
        "Parley: transfer unanswered chats",
        "chat.tasks.transfer_unanswered_chats",
        5,
        "Parameter 3/4: takes a chat from an agent who did not answer in time, pauses him if he never answered.",
    ),
    (
        "Parley: dispatch sweep",
        "chat.tasks.dispatch_task",
        15,
        "Safety net: assigns whatever waiting chat can be assigned.",
    ),
    (
        "Parley: close inactive chats",
        "chat.tasks.close_inactive_chats",
        30,
        "Parameters 1, 2, 8: closes website, Messenger and internal chats inactive for too long.",
    ),
    (
        "Parley: stop automatic assignment",
        "chat.tasks.stop_auto_assign",
        60,
        "Parameter 13: chats waiting longer than X hours are left for a manual Assign.",
    ),
    (
        "Parley: expire attachments",
        "chat.tasks.expire_attachments",
        300,
        "Parameter 14: files past their download hours are removed from storage.",
    ),
    (
        "Parley: purge old closed chats",
        "chat.tasks.purge_closed_chats",
        3600,
        "Parameter 12: deletes chats closed more than X days ago with their messages, events and files.",
    ),
]


def create_periodic_tasks(apps, schema_editor=None):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, description in PERIODIC_TASKS:
        schedule = IntervalSchedule.objects.filter(every=every, period="seconds").order_by("id").first()
        if schedule is None:
            schedule = IntervalSchedule.objects.create(every=every, period="seconds")
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": schedule,
                "enabled": True,
                # A run that could not start within its own interval is dropped, not piled up.
                "expire_seconds": every,
                "description": description,
            },
        )


def delete_periodic_tasks(apps, schema_editor=None):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in PERIODIC_TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0002_default_settings"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_periodic_tasks, delete_periodic_tasks)]
