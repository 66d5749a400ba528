from django.db import migrations

AGENT_ORDER = ["owner", "queue_priority", "last_agent", "fewest_open_chats", "longest_unassigned"]
CHAT_ORDER = ["longest_waiting", "vip", "shortest_waiting"]


def create_defaults(apps, schema_editor):
    ChatSettings = apps.get_model("chat", "ChatSettings")
    AgentStrategyStep = apps.get_model("chat", "AgentStrategyStep")
    ChatStrategyStep = apps.get_model("chat", "ChatStrategyStep")
    settings, _ = ChatSettings.objects.get_or_create(pk=1)
    for position, code in enumerate(AGENT_ORDER):
        AgentStrategyStep.objects.get_or_create(code=code, defaults={"settings": settings, "order": position})
    for position, code in enumerate(CHAT_ORDER):
        ChatStrategyStep.objects.get_or_create(code=code, defaults={"settings": settings, "order": position})


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
