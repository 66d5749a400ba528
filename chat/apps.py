from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self):
        # The Messenger outbox's sweep is a timed rule like the others (run_chat_rules runs it), but it lives in
        # a way in, which the services do not import: it joins their list here, once every app is loaded.
        from chat.messenger.outbox import messenger_outbox_sweep
        from chat.services.rules import rule_register

        rule_register(
            "messenger_outbox", messenger_outbox_sweep, "Messenger replies queued again or left unconfirmed"
        )
