"""Upper bounds of the card's numbers (issue 11, point 10): validators on the fields and check constraints.

A value already stored above its new bound (or a download time of 0) is clamped to the bound first, so that
the constraints can be added; the clamped parameters are logged. docs/decisions.md "Bounds of the card".
The bounds are written out here (not imported from the model) so that this migration keeps meaning what it
meant when it ran.
"""

import logging

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import migrations, models

logger = logging.getLogger("chat.migrations")

# field -> (smallest, largest), as chat.models.settings.CARD_NUMBER_BOUNDS says on the day of this migration.
BOUNDS = {
    "inactivity_timeout_website": (0, 31536000),
    "inactivity_timeout_messenger": (0, 31536000),
    "inactivity_timeout_internal": (0, 31536000),
    "no_reply_transfer_after": (0, 86400),
    "max_concurrent_chats": (1, 100),
    "delete_chats_after_days": (0, 3650),
    "stop_auto_assign_after_hours": (0, 8760),
    "file_max_size_mb": (1, 100),
    "file_download_hours": (1, 8760),
}


def clamp_to_bounds(apps, schema_editor):
    """Bring every number of the card within its bounds (one row; nothing to do on a fresh install)."""
    ChatSettings = apps.get_model("chat", "ChatSettings")
    for name, (low, high) in BOUNDS.items():
        for bound, lookup in ((high, "gt"), (low, "lt")):
            rows = ChatSettings.objects.filter(**{f"{name}__{lookup}": bound})
            for _pk, old in rows.values_list("pk", name):
                logger.warning("chat parameter %s was %s, out of bounds: set to %s", name, old, bound)
            rows.update(**{name: bound})
    if schema_editor.connection.vendor == "postgresql":
        # The update queued the row's deferred foreign-key check; run it now, or PostgreSQL refuses to alter
        # the table in the same transaction ("pending trigger events").
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# field -> (default, verbose name) as the model says them (AlterField restates the whole field).
FIELDS = {
    "inactivity_timeout_website": (3600, "website chat: close when inactive for [s]"),
    "inactivity_timeout_messenger": (604800, "Facebook chat: close when inactive for [s]"),
    "inactivity_timeout_internal": (28800, "close an internal conversation inactive for [s]"),
    "no_reply_transfer_after": (60, "transfer to another agent when no reply for [s]"),
    "max_concurrent_chats": (3, "maximum number of concurrent chats per agent"),
    "delete_chats_after_days": (0, "delete chats after X days (0 = off)"),
    "stop_auto_assign_after_hours": (24, "stop automatic assignment after X hours (0 = never)"),
    "file_max_size_mb": (8, "maximum file size [MB]"),
    "file_download_hours": (24, "time the client can download a file [hours]"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0002_builtin_pause_types"),
        ("chat", "0007_messenger_outbox"),
    ]

    operations = [
        migrations.RunPython(clamp_to_bounds, migrations.RunPython.noop),
        *(
            migrations.AlterField(
                model_name="chatsettings",
                name=name,
                field=models.PositiveIntegerField(
                    default=default,
                    validators=[MinValueValidator(BOUNDS[name][0]), MaxValueValidator(BOUNDS[name][1])],
                    verbose_name=verbose_name,
                ),
            )
            for name, (default, verbose_name) in FIELDS.items()
        ),
        migrations.AddConstraint(
            model_name="chatsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(file_download_hours__gte=1), name="chat_settings_download_hours_gte_1"
            ),
        ),
        *(
            migrations.AddConstraint(
                model_name="chatsettings",
                constraint=models.CheckConstraint(
                    condition=models.Q(**{f"{name}__lte": high}), name=f"chat_settings_{name}_max"
                ),
            )
            for name, (_low, high) in BOUNDS.items()
        ),
    ]
