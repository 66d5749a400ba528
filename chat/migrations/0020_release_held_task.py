"""The schedule of the rule "release the chats held for business hours" (issue 17) as a django_celery_beat row,
like the other timed rules (0003_periodic_tasks): every 30 s, visible and changeable in Admin -> Periodic tasks.

``create_release_held_task(apps, schema_editor)`` is idempotent and listed in tests/conftest.py MIGRATION_DATA
(transactional tests flush migration data).
"""

from django.db import migrations

NAME = "Parley: queue the chats held for business hours at the opening"
TASK = "chat.tasks.release_held_chats"
EVERY = 30
DESCRIPTION = (
    "Chats written while their queue was closed (business hours) wait, held; when the queue opens they are "
    "queued and routed like any other chat."
)


def create_release_held_task(apps, schema_editor=None):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule = IntervalSchedule.objects.filter(every=EVERY, period="seconds").order_by("id").first()
    if schedule is None:
        schedule = IntervalSchedule.objects.create(every=EVERY, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "interval": schedule,
            "enabled": True,
            "expire_seconds": EVERY,  # a run that could not start within its interval is dropped
            "description": DESCRIPTION,
        },
    )


def delete_release_held_task(apps, schema_editor=None):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0019_business_hours"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_release_held_task, delete_release_held_task)]
