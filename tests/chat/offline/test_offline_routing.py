"""An offline chat's life (issue 17): held while the queue is closed and routed like any chat at the opening;
queued at once when the queue is open but nobody was logged in; never closed for inactivity; the inbox tells the
agent that his replies go by e-mail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from agents.services import presence_login
from chat.models import Chat, ChatEvent, ChatSettings
from chat.services.chats import chat_assign
from chat.services.dispatch import dispatch
from chat.services.messages import message_post
from chat.services.offline import offline_message_submit
from chat.services.rules import chats_close_inactive, chats_release_held

from .conftest import MONDAY_OPENING, SATURDAY_NOON

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(agent_factory, queue):
    return agent_factory(queue=queue, username="anna", first_name="Anna", logged_in=True)


def leave(queue, **fields):
    values = {"queue_id": queue.pk, "name": "Zofia Nowak", "email": "zofia@example.com", "body": "Hello?",
              "language": "en", **fields}
    return offline_message_submit(**values).chat


def test_an_offline_message_written_while_closed_waits_and_is_routed_at_the_opening(queue, agent, clock):
    chat = leave(queue)
    assert dispatch() == 0  # held: not even an available agent gets it while the queue is closed
    chat.refresh_from_db()
    assert (chat.status, chat.hours_held_at) == (Chat.Status.WAITING, SATURDAY_NOON)

    clock(MONDAY_OPENING - dt.timedelta(seconds=1))
    assert chats_release_held() == 0
    clock(MONDAY_OPENING + dt.timedelta(seconds=20))
    assert chats_release_held() == 1
    dispatch()
    chat.refresh_from_db()
    assert (chat.status, chat.agent_id, chat.hours_held_at, chat.offline) == (
        Chat.Status.ASSIGNED, agent.pk, None, True
    )
    assert chat.queued_at == MONDAY_OPENING  # its queue time is the opening (docs/timed-rules.md)
    kinds = list(chat.events.order_by("id").values_list("kind", flat=True))
    assert kinds[:1] + kinds[-2:] == ["started", "released", "assigned"]


def test_with_nobody_logged_in_the_offline_message_is_queued_and_goes_to_the_first_agent_who_logs_in(
    agent_factory, clock
):
    from tests import factories

    support = factories.QueueFactory(name="Support", offline_without_agents=True)
    bartek = agent_factory(queue=support, username="bartek", logged_in=False)
    clock(MONDAY_OPENING + dt.timedelta(hours=2))
    chat = leave(support)
    assert (chat.hours_held_at, chat.status) == (None, Chat.Status.WAITING)
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.QUEUED).exists()
    presence_login(agent_id=bartek.pk)
    dispatch()
    chat.refresh_from_db()
    assert (chat.status, chat.agent_id) == (Chat.Status.ASSIGNED, bartek.pk)


@pytest.mark.parametrize("counted_from", ["page_closed", "last_client_message"])
def test_an_offline_chat_is_never_closed_for_inactivity_but_a_live_one_is(queue, agent, clock, counted_from):
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(
        inactivity_counted_from=counted_from, inactivity_timeout_website=3600,
    )
    offline = leave(queue)
    clock(MONDAY_OPENING + dt.timedelta(minutes=1))
    chats_release_held()
    live = leave(queue, name="Jan")  # the same, but a live chat (as the widget's pre-chat form starts one)
    Chat.objects.filter(pk=live.pk).update(offline=False, last_heartbeat_at=MONDAY_OPENING)
    clock(MONDAY_OPENING + dt.timedelta(days=3))
    assert chats_close_inactive() == 1
    assert Chat.objects.get(pk=live.pk).status == Chat.Status.CLOSED
    assert Chat.objects.get(pk=offline.pk).status != Chat.Status.CLOSED


def test_the_inbox_tells_the_agent_that_his_replies_go_by_e_mail(client, queue, agent, clock, eager,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        chat = leave(queue)
    clock(MONDAY_OPENING + dt.timedelta(minutes=1))
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    with django_capture_on_commit_callbacks(execute=True):
        message_post(chat_id=chat.pk, sender="agent", body="Yes, we do.", author_id=agent.pk)
    assert len(mail.outbox) == 2
    client.force_login(agent)
    html = client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="offline-notice"' in html
    assert "Offline message: the visitor is not on the page. Your replies are e-mailed to zofia@example.com" in html
    assert 'data-testid="email-sent"' in html
    assert "E-mailed to zofia@example.com" in html


def test_a_live_chat_has_no_e_mail_notice(client, queue, agent, clock):
    from chat.services.chats import chat_start

    clock(MONDAY_OPENING + dt.timedelta(minutes=1))
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Jan")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    client.force_login(agent)
    html = client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert 'data-testid="offline-notice"' not in html


def test_the_timeline_says_what_was_e_mailed(queue, agent, clock, eager, django_capture_on_commit_callbacks):
    from django.utils import translation

    from chat.selectors.timeline import chat_timeline

    with django_capture_on_commit_callbacks(execute=True):
        chat = leave(queue)
    with translation.override("en"):
        texts = [entry.text for entry in chat_timeline(chat=chat)]
    assert "The acknowledgement of the offline message was e-mailed to zofia@example.com." in texts


def test_the_open_chat_redraws_a_reply_once_its_e_mail_went(client, queue, agent, clock):
    import re

    from chat.models import OfflineEmail
    from chat.services.emails import offline_email_deliver

    chat = leave(queue)
    clock(MONDAY_OPENING + dt.timedelta(minutes=1))
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    reply = message_post(chat_id=chat.pk, sender="agent", body="Yes, we do.", author_id=agent.pk)  # its e-mail waits
    client.force_login(agent)
    context = client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_ACCEPT_LANGUAGE="en").context
    params = {"after": context["last_message_id"], "s": context["chat_state"], "w": context["watch_from"]}
    assert params["w"] == reply.pk
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}
    poll = reverse("inbox:chat_poll", args=[chat.pk])
    assert client.get(poll, params, **htmx).status_code == 204

    assert offline_email_deliver(email_id=OfflineEmail.objects.get(message=reply).pk) == "sent"
    html = client.get(poll, params, **htmx).content.decode()
    assert 'hx-swap-oob="true"' in re.search(rf'<div [^>]*id="m-{reply.pk}"[^>]*>', html).group(0)
    assert "E-mailed to zofia@example.com" in html
