"""The card's "agent without an open inbox" (issue 13, point 4): after how many seconds without an open inbox an
agent is taken off (default 60, 0 = never, else 30 to 86,400) and the pause he is put on (none: logged out).
docs/timed-rules.md, "Presence follows the open inbox"; docs/admin.md."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0003_presence_live_seen"),
        ("chat", "0009_orphan_files_task"),
    ]

    operations = [
        migrations.AddField(
            model_name="chatsettings",
            name="no_inbox_after",
            field=models.PositiveIntegerField(
                default=60,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(86400),
                ],
                verbose_name="when an agent has no open inbox for [s] (0 = never)",
            ),
        ),
        migrations.AddField(
            model_name="chatsettings",
            name="no_inbox_pause_type",
            field=models.ForeignKey(
                blank=True,
                help_text="The pause an agent without an open inbox is put on; none: he is logged out.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="agents.pausetype",
                verbose_name="pause when the inbox is closed",
            ),
        ),
        migrations.AddConstraint(
            model_name="chatsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(("no_inbox_after", 0), ("no_inbox_after__gte", 30), _connector="OR"),
                name="chat_settings_no_inbox_after_0_or_min",
            ),
        ),
        migrations.AddConstraint(
            model_name="chatsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(("no_inbox_after__lte", 86400)), name="chat_settings_no_inbox_after_max"
            ),
        ),
    ]
