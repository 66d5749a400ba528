"""The agents API: staff create and change agents and set their queues; the read carries presence and today."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chat.models import Chat, ChatEvent, QueueMembership
from chat.reports.agents_today import agents_today
from chat.services.chats.handover import chat_assign
from tests import factories

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


def test_staff_create_an_agent_and_a_duplicate_is_refused(staff_api):
    created = staff_api.post("/api/v1/agents/", {"username": "ewa", "first_name": "Ewa"}, format="json",
                             HTTP_ACCEPT_LANGUAGE="en")
    assert created.status_code == 201, created.content
    assert created.json()["today"]["state"] == "logged_out" and created.json()["memberships"] == []
    again = staff_api.post("/api/v1/agents/", {"username": "EWA"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    assert again.json() == {"username": ["An agent with this username already exists."], "code": "unique"}
    weak = staff_api.post("/api/v1/agents/", {"username": "olek", "password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()


def test_agents_cannot_create_or_change_agents(agent_api, other_agent):
    assert agent_api.post("/api/v1/agents/", {"username": "x"}, format="json").status_code == 403
    assert agent_api.patch("/api/v1/agents/bartek/", {"is_active": False}, format="json").status_code == 403
    assert agent_api.put("/api/v1/agents/bartek/queues/", [], format="json").status_code == 403


def test_deactivating_an_agent_requeues_his_chats_and_yourself_is_refused(staff_api, staff, agent, queue):
    chat = factories.ChatFactory(queue=queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    answer = staff_api.patch(f"/api/v1/agents/{agent.pk}/", {"is_active": False}, format="json")
    assert answer.status_code == 200 and answer.json()["is_active"] is False
    chat.refresh_from_db()
    assert chat.status == Chat.Status.WAITING and chat.agent_id is None
    agent.presence.refresh_from_db()
    assert not agent.presence.logged_in and agent.presence.open_chats == 0
    myself = staff_api.patch(f"/api/v1/agents/{staff.pk}/", {"is_active": False}, format="json")
    assert myself.status_code == 400 and myself.json()["code"] == "self"


def test_queues_are_replaced_all_or_nothing(staff_api, agent, queue, other_queue):
    ok = staff_api.put("/api/v1/agents/anna/queues/", [{"queue": other_queue.pk, "priority": 5}], format="json")
    assert ok.status_code == 200
    assert ok.json() == [{"queue": other_queue.pk, "queue_name": "Support", "priority": 5}]
    bad = staff_api.put("/api/v1/agents/anna/queues/",
                        [{"queue": queue.pk, "priority": 1}, {"queue": 999999, "priority": 1}], format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "unknown"
    assert list(QueueMembership.objects.filter(agent=agent).values_list("queue_id", "priority")) == [
        (other_queue.pk, 5)
    ]
    read = staff_api.get("/api/v1/agents/anna/").json()
    assert read["queues"] == [other_queue.pk] and read["memberships"][0]["priority"] == 5


def test_today_figures_on_hand_built_chats(staff_api, agent, queue):
    morning = datetime(2026, 3, 10, 9, 0, tzinfo=WARSAW)
    yesterday = morning - timedelta(days=1)
    for given_at, response_seconds in ((morning, 20), (morning + timedelta(minutes=5), 40), (yesterday, 10)):
        chat = factories.ChatFactory(queue=queue, agent=agent, status=Chat.Status.CLOSED, closed_at=given_at,
                                     first_assigned_at=given_at,
                                     first_response_at=given_at + timedelta(seconds=response_seconds))
        ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.ASSIGNED, agent=agent, created_at=given_at)
    unanswered = factories.ChatFactory(queue=queue, agent=agent, first_assigned_at=morning)
    ChatEvent.objects.create(chat=unanswered, kind=ChatEvent.Kind.TRANSFERRED, agent=agent, created_at=morning)
    with time_machine.travel(morning + timedelta(hours=2)):
        today = agents_today(agent_ids=[agent.pk])[agent.pk]
        read = staff_api.get("/api/v1/agents/anna/").json()["today"]
    assert (today.chats_today, today.answered_today, today.median_first_response_seconds) == (3, 2, 30.0)
    assert today.state == "available" and today.max_chats == 3
    assert read["chats_today"] == 3 and read["median_first_response_seconds"] == 30.0


def test_today_counts_a_chat_once_and_leaves_out_internal_chats_and_yesterday(agent, other_agent, queue):
    noon = datetime(2026, 3, 10, 12, 0, tzinfo=WARSAW)
    chat = factories.ChatFactory(queue=queue, agent=agent, first_assigned_at=noon,
                                 first_response_at=noon + timedelta(seconds=50))
    # Given to Anna, transferred to Bartek, and back to Anna: one chat for each of them.
    ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.ASSIGNED, agent=agent, created_at=noon)
    ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.TRANSFERRED, agent=other_agent,
                             created_at=noon + timedelta(minutes=1))
    ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.TRANSFERRED, agent=agent,
                             created_at=noon + timedelta(minutes=2))
    internal = factories.ChatFactory(queue=None, channel=Chat.Channel.INTERNAL, agent=agent)
    ChatEvent.objects.create(chat=internal, kind=ChatEvent.Kind.ASSIGNED, agent=agent, created_at=noon)
    # Just before midnight in Warsaw is yesterday, though it is the same UTC date as today's noon.
    late = datetime(2026, 3, 9, 23, 59, tzinfo=WARSAW)
    old = factories.ChatFactory(queue=queue, agent=agent, first_assigned_at=late)
    ChatEvent.objects.create(chat=old, kind=ChatEvent.Kind.ASSIGNED, agent=agent, created_at=late)
    with time_machine.travel(noon + timedelta(hours=1)):
        today = agents_today(agent_ids=[agent.pk, other_agent.pk])
    assert (today[agent.pk].chats_today, today[agent.pk].answered_today) == (1, 1)
    assert today[agent.pk].median_first_response_seconds == 50.0
    assert today[other_agent.pk].chats_today == 1


def test_state_and_since_follow_presence(agent, queue, django_assert_max_num_queries):
    from agents.models import PauseType
    from agents.services import presence_pause, presence_resume, presence_set_phone_call

    with time_machine.travel(datetime(2026, 3, 10, 8, 0, tzinfo=WARSAW), tick=False):
        presence_pause(agent_id=agent.pk, pause_type_id=PauseType.objects.get(code="break").pk)
    assert agents_today(agent_ids=[agent.pk])[agent.pk].state == "paused"
    assert agents_today(agent_ids=[agent.pk])[agent.pk].state_since == datetime(2026, 3, 10, 8, 0, tzinfo=WARSAW)
    presence_resume(agent_id=agent.pk)
    presence_set_phone_call(agent_id=agent.pk, on_call=True)
    assert agents_today(agent_ids=[agent.pk])[agent.pk].state == "on_phone_call"
    presence_set_phone_call(agent_id=agent.pk, on_call=False)
    for _ in range(3):
        chat_assign(chat_id=factories.ChatFactory(queue=queue).pk, agent_id=agent.pk)
    assert agents_today(agent_ids=[agent.pk])[agent.pk].state == "full"
    # Many agents cost the same few queries as one.
    many = [factories.PresenceFactory(agent=factories.UserFactory()).pk for _ in range(30)]
    with django_assert_max_num_queries(3):
        assert len(agents_today(agent_ids=[*many, agent.pk])) == 31


def test_an_agent_reads_his_own_figures_but_not_his_colleagues(agent_api, agent, other_agent):
    listed = {row["username"]: row for row in agent_api.get("/api/v1/agents/").json()["results"]}
    assert listed["anna"]["today"]["state"] == "available"
    assert listed["bartek"]["today"] is None and listed["bartek"]["presence"]["status"] == "available"


def test_deactivating_in_the_admin_also_requeues_his_chats(client, staff, agent, queue,
                                                          django_capture_on_commit_callbacks):
    chat = factories.ChatFactory(queue=queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    client.force_login(staff)
    page = client.get(f"/admin/agents/user/{agent.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"username": agent.username, "is_active": "", "date_joined_0": "2026-01-01",
                 "date_joined_1": "00:00:00", "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1",
                 "memberships-0-id": agent.memberships.get().pk, "memberships-0-agent": agent.pk,
                 "memberships-0-queue": queue.pk, "memberships-0-priority": "0"})
    data.pop("is_active")
    data.pop("groups", None), data.pop("user_permissions", None), data.pop("last_login", None)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/agents/user/{agent.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    chat.refresh_from_db()
    assert chat.status == Chat.Status.WAITING
    agent.refresh_from_db()
    assert not agent.is_active and not agent.presence.logged_in
