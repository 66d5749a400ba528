from django.db import migrations

BUILT_INS = [
    ("wrap_up", "wrap-up"),
    ("administrative", "administracyjna"),
    ("break", "przerwa"),
    ("business_task", "zad. służbowe"),
    ("callback_progress", "callback progress"),
]


def create_built_ins(apps, schema_editor):
    PauseType = apps.get_model("agents", "PauseType")
    for code, name in BUILT_INS:
        PauseType.objects.update_or_create(code=code, defaults={"name": name, "built_in": True})


def remove_built_ins(apps, schema_editor):
    PauseType = apps.get_model("agents", "PauseType")
    PauseType.objects.filter(code__in=[code for code, _ in BUILT_INS]).delete()


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]
    operations = [migrations.RunPython(create_built_ins, remove_built_ins)]
