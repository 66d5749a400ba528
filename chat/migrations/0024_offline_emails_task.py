"""The schedule of the offline e-mails' sweep (issue 17) as a django_celery_beat row, like the other timed rules
(0003_periodic_tasks): every 30 s, visible and changeable in Admin -> Periodic tasks.

``create_offline_emails_task(apps, schema_editor)`` is idempotent and listed in tests/conftest.py MIGRATION_DATA
(transactional tests flush migration data).
"""

from django.db import migrations

NAME = "Parley: send the offline message e-mails nobody sent"
TASK = "chat.tasks.sweep_offline_emails"
EVERY = 30
DESCRIPTION = (
    "The acknowledgements of offline messages and the agents' replies to them are e-mailed by a task queued after "
    "the commit; this sweep queues the ones whose task was lost (broker down) and gives back those of a worker "
    "that died while sending."
)


def create_offline_emails_task(apps, schema_editor=None):
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


def delete_offline_emails_task(apps, schema_editor=None):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0023_offline_emails"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_offline_emails_task, delete_offline_emails_task)]
