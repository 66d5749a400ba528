"""Queues with members and priorities; chats, presence and its log read-only."""

from __future__ import annotations

import pytest

from agents.models import Presence, PresenceEvent
from chat.models import Chat, ChatEvent, Queue, QueueMembership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user):
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    return client


def queue_form(name="Sprzedaż", members=(), initial=0, **extra) -> dict:
    data = {
        "name": name,
        "description": "",
        "active": "on",
        "answer_target_seconds": "60",
        "memberships-TOTAL_FORMS": len(members),
        "memberships-INITIAL_FORMS": initial,
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
        "time_zone": "Europe/Warsaw",
        "offline_reply": "",
    }
    for prefix in ("opening_hours", "hours_exceptions"):  # the business-hours inlines, empty
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0,
                     f"{prefix}-MAX_NUM_FORMS": 1000})
    for index, member in enumerate(members):
        for key, value in member.items():
            data[f"memberships-{index}-{key}"] = value
    data.update(extra)
    return data


def test_admin_adds_a_queue_with_members_and_priorities(admin):
    anna, bartek = factories.UserFactory(username="anna"), factories.UserFactory(username="bartek")
    data = queue_form(members=[{"agent": anna.pk, "priority": 10}, {"agent": bartek.pk, "priority": 5}])
    assert admin.post("/admin/chat/queue/add/", data).status_code == 302
    queue = Queue.objects.get(name="Sprzedaż")
    assert sorted(queue.memberships.values_list("agent__username", "priority")) == [("anna", 10), ("bartek", 5)]


def test_admin_changes_a_members_priority_and_removes_another(admin):
    queue = factories.QueueFactory(name="Wsparcie")
    anna = factories.MembershipFactory(queue=queue, agent=factories.UserFactory(username="anna"), priority=1)
    bartek = factories.MembershipFactory(queue=queue, agent=factories.UserFactory(username="bartek"), priority=1)
    members = [
        {"id": anna.pk, "queue": queue.pk, "agent": anna.agent_id, "priority": 7},
        {"id": bartek.pk, "queue": queue.pk, "agent": bartek.agent_id, "priority": 1, "DELETE": "on"},
    ]
    response = admin.post(f"/admin/chat/queue/{queue.pk}/change/", queue_form("Wsparcie", members, initial=2))
    assert response.status_code == 302
    assert list(QueueMembership.objects.values_list("agent__username", "priority")) == [("anna", 7)]


def test_admin_refuses_the_same_agent_twice_in_a_queue(admin):
    anna = factories.UserFactory(username="anna")
    data = queue_form(members=[{"agent": anna.pk, "priority": 1}, {"agent": anna.pk, "priority": 2}])
    assert admin.post("/admin/chat/queue/add/", data).status_code == 200
    assert not Queue.objects.exists()


def test_admin_asks_for_a_dispatch_when_members_change(admin, django_capture_on_commit_callbacks):
    anna = factories.UserFactory(username="anna")
    with django_capture_on_commit_callbacks() as callbacks:
        admin.post("/admin/chat/queue/add/", queue_form(members=[{"agent": anna.pk, "priority": 1}]))
    assert "_run_dispatch" in [getattr(callback, "__name__", "") for callback in callbacks]


@pytest.fixture
def chat():
    chat = factories.ChatFactory(status=Chat.Status.WAITING)
    factories.MessageFactory(chat=chat, body="Dzień dobry, mam pytanie")
    ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.QUEUED, queue=chat.queue)
    return chat


def test_chat_page_shows_messages_and_events_read_only(admin, chat):
    html = admin.get(f"/admin/chat/chat/{chat.pk}/change/").content.decode()
    assert "Dzień dobry, mam pytanie" in html
    assert "Queued" in html
    assert 'name="status"' not in html
    assert 'name="_save"' not in html


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "add/"), ("post", "{pk}/change/"), ("get", "{pk}/delete/")],
    ids=["add", "change", "delete"],
)
def test_chats_cannot_be_added_changed_or_deleted_in_the_admin(admin, chat, method, path):
    response = getattr(admin, method)("/admin/chat/chat/" + path.format(pk=chat.pk), {"status": "closed"})
    assert response.status_code == 403
    assert Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "closed"}, ["closed"]),
        ({"channel__exact": "messenger"}, ["messenger"]),
        ({"queue__id__exact": "{queue}"}, ["in-queue"]),
    ],
    ids=["status", "channel", "queue"],
)
def test_chat_list_filters(admin, params, expected):
    queue = factories.QueueFactory(name="Filtr")
    factories.ChatFactory(visitor_name="closed", status=Chat.Status.CLOSED, closed_at="2026-01-01T10:00Z")
    factories.ChatFactory(visitor_name="messenger", channel=Chat.Channel.MESSENGER, visitor_messenger_id="m1")
    factories.ChatFactory(visitor_name="in-queue", queue=queue)
    params = {key: value.format(queue=queue.pk) for key, value in params.items()}
    result = admin.get("/admin/chat/chat/", params).context["cl"].result_list
    assert [chat.visitor_name for chat in result] == expected


def test_presence_list_shows_status_pause_phone_call_and_open_chats(admin):
    agent = factories.UserFactory(username="dawid", first_name="Dawid", last_name="Kamiński")
    factories.PresenceFactory(agent=agent, on_phone_call=True)
    Presence.objects.filter(agent=agent).update(open_chats=2)
    html = admin.get("/admin/agents/presence/").content.decode()
    row = html[html.index("Dawid Kamiński") :]
    assert "Available" in row
    assert '<td class="field-open_chats">2</td>' in row


@pytest.mark.parametrize(
    ("method", "path"), [("get", "add/"), ("post", "{pk}/change/"), ("get", "{pk}/delete/")],
    ids=["add", "change", "delete"],
)
def test_presence_is_read_only_in_the_admin(admin, method, path):
    agent = factories.UserFactory(username="ewa")
    factories.PresenceFactory(agent=agent, logged_in=False)
    response = getattr(admin, method)("/admin/agents/presence/" + path.format(pk=agent.pk), {"logged_in": "on"})
    assert response.status_code == 403
    assert Presence.objects.get(agent=agent).logged_in is False


def test_presence_events_are_read_only_in_the_admin(admin):
    agent = factories.UserFactory(username="ewa")
    event = PresenceEvent.objects.create(agent=agent, kind=PresenceEvent.Kind.LOGGED_IN)
    assert admin.get("/admin/agents/presenceevent/add/").status_code == 403
    assert admin.get(f"/admin/agents/presenceevent/{event.pk}/delete/").status_code == 403
    assert admin.get(f"/admin/agents/presenceevent/{event.pk}/change/").status_code == 200


def test_admin_closes_selected_chats_through_the_chat_service(admin, admin_user):
    agent = factories.UserFactory(username="anna")
    factories.PresenceFactory(agent=agent)
    Presence.objects.filter(agent=agent).update(open_chats=1)
    assigned = factories.ChatFactory(status=Chat.Status.ASSIGNED, agent=agent)
    waiting = factories.ChatFactory()
    response = admin.post(
        "/admin/chat/chat/", {"action": "close_chats", "_selected_action": [assigned.pk, waiting.pk]}, follow=True
    )
    assert "2 chats were closed." in response.content.decode()
    for chat in (assigned, waiting):
        chat.refresh_from_db()
        assert (chat.status, chat.close_reason) == ("closed", "admin")
        assert ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.CLOSED).actor == admin_user
    assert Presence.objects.get(agent=agent).open_chats == 0


def test_admin_close_action_skips_chats_already_closed(admin):
    chat = factories.ChatFactory(status=Chat.Status.CLOSED, closed_at="2026-01-01T10:00Z", close_reason="agent")
    response = admin.post("/admin/chat/chat/", {"action": "close_chats", "_selected_action": [chat.pk]}, follow=True)
    assert "0 chats were closed." in response.content.decode()
    chat.refresh_from_db()
    assert chat.close_reason == "agent"


def test_a_negative_priority_is_refused_by_the_admin_the_service_and_the_database(admin):
    from django.db import IntegrityError, transaction

    from chat.services.errors import ChatError
    from chat.services.queues import queue_member_set

    anna = factories.UserFactory(username="anna")
    response = admin.post("/admin/chat/queue/add/", queue_form(members=[{"agent": anna.pk, "priority": -1}]))
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert not Queue.objects.exists()
    queue = factories.QueueFactory(name="Sales")
    with pytest.raises(ChatError) as refused:
        queue_member_set(queue_id=queue.pk, agent_id=anna.pk, priority=-5)
    assert refused.value.field == "priority"
    with pytest.raises(IntegrityError), transaction.atomic():
        QueueMembership.objects.create(queue=queue, agent=anna, priority=-1)
