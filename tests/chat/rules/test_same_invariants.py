"""The set-based rules leave a chat exactly as the routing services would: chats_close_inactive as
chat_close(reason="inactivity"), chats_transfer_unanswered as chat_requeue(exclude_agent=True) + presence_pause."""

from __future__ import annotations

import pytest

from agents.models import PauseType, Presence, PresenceEvent
from agents.services import presence_pause
from chat.models import Chat, ChatEvent, Message, NoReplyExclusion
from chat.services.chats import chat_close, chat_requeue, chat_start
from chat.services.dispatch import dispatch
from chat.services.messages import message_post
from chat.services.rules import chats_close_inactive, chats_transfer_unanswered
from tests import factories

from .conftest import T0

pytestmark = pytest.mark.django_db

CHAT_FIELDS = (
    "status", "queued_at", "assigned_at", "agent_replied_at", "awaiting_reply_since", "closed_at", "close_reason",
    "auto_assign_stopped_at", "last_client_message_at", "last_message_at", "page_closed_at",
)


def snapshot(chat: Chat, agent) -> dict:
    """Everything the two paths write, with the chat's and agent's own ids replaced by placeholders."""
    chat.refresh_from_db()

    def who(user_id):
        return {agent.pk: "AGENT", None: None}.get(user_id, user_id)

    presence = Presence.objects.get(agent=agent)
    return {
        "chat": {f: getattr(chat, f) for f in CHAT_FIELDS} | {"agent": who(chat.agent_id), "queue": chat.queue.name},
        "events": [
            (e.kind, e.reason, who(e.agent_id), who(e.from_agent_id), e.queue and e.queue.name, e.actor_id)
            for e in ChatEvent.objects.filter(chat=chat).exclude(kind__in=["agent_paused"]).order_by("id")
        ],
        "messages": [(m.sender, m.body) for m in Message.objects.filter(chat=chat).order_by("id")],
        "excluded": [who(a) for a in NoReplyExclusion.objects.filter(chat=chat).values_list("agent_id", flat=True)],
        "presence": (presence.logged_in, presence.pause_type_id, presence.open_chats),
        "presence_events": [
            (e.kind, e.pause_type_id, e.reason, e.actor_id)
            for e in PresenceEvent.objects.filter(agent=agent).order_by("id")
        ],
    }


@pytest.fixture
def pair(clock, agent_factory):
    """Two identical situations in two queues, each with its own single agent, who has one chat and a second
    one: the chat under test is assigned, the client wrote and waits for the answer."""

    def build():
        made = []
        for name in ("rule", "service"):
            queue = factories.QueueFactory(name=f"Queue {name}")
            agent = agent_factory(username=f"agent-{name}", queue=queue)
            chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name)
            dispatch()
            chat.refresh_from_db()
            assert chat.agent == agent
            message_post(chat_id=chat.pk, sender="client", body="Hello?")
            made.append((chat, agent))
        return made

    return build


def test_no_reply_transfer_writes_what_chat_requeue_and_presence_pause_write(clock, card, pair):
    pause = PauseType.objects.get(code="break")
    card(no_reply_pause_type=pause)
    (rule_chat, rule_agent), (service_chat, service_agent) = pair()
    clock(seconds=60)
    Chat.objects.filter(pk=service_chat.pk).update(awaiting_reply_since=None)  # the rule must not see it
    assert chats_transfer_unanswered() == 1
    Chat.objects.filter(pk=service_chat.pk).update(awaiting_reply_since=T0)
    chat_requeue(chat_id=service_chat.pk, reason="no_reply", exclude_agent=True, agent_id=service_agent.pk)
    presence_pause(agent_id=service_agent.pk, pause_type_id=pause.pk, reason="no_reply")

    rule = snapshot(rule_chat, rule_agent)
    service = snapshot(service_chat, service_agent)
    rule["chat"]["queue"] = service["chat"]["queue"] = "Q"
    rule["events"] = [e[:4] + ("Q" if e[4] else None, e[5]) for e in rule["events"]]
    service["events"] = [e[:4] + ("Q" if e[4] else None, e[5]) for e in service["events"]]
    assert rule == service


def test_inactivity_close_writes_what_chat_close_writes(clock, card, pair):
    card(inactivity_counted_from="last_client_message")
    (rule_chat, rule_agent), (service_chat, service_agent) = pair()
    clock(seconds=3600)
    Chat.objects.filter(pk=service_chat.pk).update(last_client_message_at=clock(seconds=3600))  # not due
    assert chats_close_inactive() == 1
    Chat.objects.filter(pk=service_chat.pk).update(last_client_message_at=T0)
    chat_close(chat_id=service_chat.pk, reason=Chat.CloseReason.INACTIVITY)

    rule = snapshot(rule_chat, rule_agent)
    service = snapshot(service_chat, service_agent)
    rule["chat"]["queue"] = service["chat"]["queue"] = "Q"
    rule["events"] = [e[:4] + ("Q" if e[4] else None, e[5]) for e in rule["events"]]
    service["events"] = [e[:4] + ("Q" if e[4] else None, e[5]) for e in service["events"]]
    assert rule == service
