"""The schedule of the orphan-file sweep (issue 11, point 9) as a django_celery_beat row, like the other
timed rules (0003_periodic_tasks): hourly, visible and changeable in Admin -> Periodic tasks.

``create_orphan_files_task(apps, schema_editor)`` is idempotent and listed in tests/conftest.py
MIGRATION_DATA (transactional tests flush migration data).
"""

from django.db import migrations

NAME = "Parley: delete orphan files"
TASK = "chat.tasks.delete_orphan_files"
EVERY = 3600
DESCRIPTION = (
    "Files in storage that no attachment points to (left by a process that died between a commit and the "
    "delete after it) are removed once an hour old, with their empty folders."
)


def create_orphan_files_task(apps, schema_editor=None):
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


def delete_orphan_files_task(apps, schema_editor=None):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0008_card_upper_bounds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_orphan_files_task, delete_orphan_files_task)]
