from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self):
        # Chat answers the hooks of the layers below it (core/hooks.py, docs/decisions.md "Import layers"). The
        # imports are here because an app's modules may be imported only once every app's models are loaded.
        from agents import services as agents_services
        from chat.messenger.outbox import messenger_outbox_sweep, messenger_reply_queue
        from chat.reports.metrics import metrics_collect
        from chat.services import messages
        from chat.services.dispatch import dispatch_soon
        from chat.services.live.events import live_published
        from chat.services.live.publish import live_presence, live_settings
        from chat.services.metrics import metrics_count_event
        from chat.services.presence import chats_requeue_for_logout
        from chat.services.rules import rule_register
        from core.metrics.exposition import collector_register

        agents_services.agent_may_take_chats.register(dispatch_soon)
        agents_services.agent_logged_out.register(chats_requeue_for_logout)
        # Presence and the pause types show on every open inbox: the live layer tells them after commit.
        agents_services.presence_changed.register(live_presence)
        agents_services.pause_types_changed.register(live_settings)
        # An agent's reply on a Messenger chat, once stored, is queued for the Send API by the Messenger channel.
        messages.messenger_reply_stored.register(messenger_reply_queue)
        # The Messenger outbox's sweep is a timed rule like the others (run_chat_rules runs it), but it lives in
        # a way in, which the services do not import: it joins their list here.
        rule_register(
            "messenger_outbox", messenger_outbox_sweep, "Messenger replies queued again or left unconfirmed"
        )
        # /metrics (docs/operations.md, "Metrics"): the database's figures at every scrape; the event counters from
        # the live events, published once per change after its commit.
        collector_register("chat", metrics_collect)
        live_published.register(metrics_count_event)
