"""The schedule of the rule "presence follows the open inbox" (issue 13, point 4) as a django_celery_beat row,
like the other timed rules (0003_periodic_tasks): every 15 s, visible and changeable in Admin -> Periodic tasks.

``create_presence_rule_task(apps, schema_editor)`` is idempotent and listed in tests/conftest.py MIGRATION_DATA
(transactional tests flush migration data).
"""

from django.db import migrations

NAME = "Parley: presence follows the open inbox"
TASK = "chat.tasks.presence_follow_inbox"
EVERY = 15
DESCRIPTION = (
    "Agents available with no open inbox for longer than the card says are put on its pause type, or logged "
    "out; their open chats go back to the queue."
)


def create_presence_rule_task(apps, schema_editor=None):
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


def delete_presence_rule_task(apps, schema_editor=None):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0010_no_inbox_card"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_presence_rule_task, delete_presence_rule_task)]
