"""Presence follows the open inbox (issue 13, point 4): ``Presence.live_seen_at``, the last sign of the agent's
open inbox, with a partial index for the timed rule that reads the available agents by it.

Agents logged in when this runs are counted as seen now: they get the card's whole "no inbox" time to open the
inbox (a grace period, as a log-in gives) rather than being taken off at the rule's first run.
"""

from django.db import migrations, models
from django.utils import timezone


def seen_now(apps, schema_editor):
    apps.get_model("agents", "Presence").objects.filter(logged_in=True).update(live_seen_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0002_builtin_pause_types"),
    ]

    operations = [
        migrations.AddField(
            model_name="presence",
            name="live_seen_at",
            field=models.DateTimeField(
                blank=True,
                help_text="The last time the agent's inbox was open and connected.",
                null=True,
                verbose_name="inbox last seen at",
            ),
        ),
        migrations.AddIndex(
            model_name="presence",
            index=models.Index(
                condition=models.Q(("logged_in", True), ("pause_type__isnull", True)),
                fields=["live_seen_at"],
                name="presence_live_seen_idx",
            ),
        ),
        migrations.RunPython(seen_now, migrations.RunPython.noop),
    ]
