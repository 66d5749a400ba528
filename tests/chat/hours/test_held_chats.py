"""A chat started while its queue is closed is held (out of dispatch's reach, HELD_FOR_HOURS), and the release
rule queues it at the opening, where dispatch assigns it; the rule acts once; held chats keep the order they were
written in. Real PostgreSQL, a frozen clock (time-machine), the services only."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from agents.services import presence_login
from chat import tasks
from chat.models import Chat, ChatEvent, ChatSettings
from chat.services.chats import chat_assign, chat_close, chat_requeue, chat_start
from chat.services.dispatch import dispatch
from chat.services.rules import chats_release_held

from .conftest import FRI, MON, SAT, SUN, WEEK, local

pytestmark = pytest.mark.django_db

NEXT_MON = WEEK[MON] + dt.timedelta(weeks=1)


def start(queue, name: str = "Ann") -> Chat:
    return chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name, visitor_key=name)


def kinds(chat: Chat) -> list[str]:
    return list(ChatEvent.objects.filter(chat=chat).order_by("id").values_list("kind", flat=True))


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_a_chat_started_outside_business_hours_is_held_even_with_an_available_agent(
    hours_queue, agent_factory, frozen, eager, django_capture_on_commit_callbacks
):
    queue = hours_queue()
    agent_factory(queue=queue, logged_in=True)
    now = frozen(local(WEEK[SAT], "10:00"))
    with django_capture_on_commit_callbacks(execute=True):
        chat = start(queue)
    chat.refresh_from_db()
    assert (chat.status, chat.agent_id, chat.hours_held_at) == (Chat.Status.WAITING, None, now)
    assert dispatch() == 0
    assert Chat.objects.get(pk=chat.pk).agent_id is None
    assert kinds(chat) == [ChatEvent.Kind.STARTED, ChatEvent.Kind.HELD_FOR_HOURS]
    held = ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.HELD_FOR_HOURS)
    assert dt.datetime.fromisoformat(held.data["opens"]) == local(NEXT_MON, "08:00")


def test_a_chat_started_in_business_hours_is_queued_and_assigned(
    hours_queue, agent_factory, frozen, eager, django_capture_on_commit_callbacks
):
    queue = hours_queue()
    agent = agent_factory(queue=queue, logged_in=True)
    frozen(local(WEEK[MON], "10:00"))
    with django_capture_on_commit_callbacks(execute=True):
        chat = start(queue)
    chat.refresh_from_db()
    assert (chat.hours_held_at, chat.agent_id) == (None, agent.pk)
    assert ChatEvent.Kind.QUEUED in kinds(chat) and ChatEvent.Kind.HELD_FOR_HOURS not in kinds(chat)


def test_the_release_rule_queues_the_held_chat_at_the_opening_and_dispatch_assigns_it(
    hours_queue, agent_factory, frozen
):
    queue = hours_queue()
    agent = agent_factory(queue=queue, logged_in=True)
    frozen(local(WEEK[SAT], "10:00"))
    chat = start(queue)
    frozen(local(NEXT_MON, "07:59:59"))
    assert chats_release_held() == 0
    assert Chat.objects.get(pk=chat.pk).hours_held_at is not None
    frozen(local(NEXT_MON, "08:00:25"))  # the rule runs every 30 s: a little after the opening
    assert chats_release_held() == 1
    chat.refresh_from_db()
    assert chat.hours_held_at is None
    assert chat.queued_at == local(NEXT_MON, "08:00")  # the opening, not the run
    assert (chat.status, chat.agent_id) == (Chat.Status.ASSIGNED, agent.pk)
    released = ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.RELEASED)
    assert dt.datetime.fromisoformat(released.data["held_since"]) == local(WEEK[SAT], "10:00")
    assert kinds(chat)[-2:] == [ChatEvent.Kind.RELEASED, ChatEvent.Kind.ASSIGNED]


def test_running_the_release_rule_twice_releases_once(hours_queue, frozen):
    queue = hours_queue()
    frozen(local(WEEK[SUN], "12:00"))
    chat = start(queue)
    frozen(local(NEXT_MON, "08:00"))
    assert chats_release_held() == 1
    frozen(local(NEXT_MON, "08:00:30"))
    assert chats_release_held() == 0
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.RELEASED).count() == 1
    assert Chat.objects.get(pk=chat.pk).queued_at == local(NEXT_MON, "08:00")


def test_held_chats_keep_their_place_written_earlier_assigned_first(hours_queue, agent_factory, frozen):
    ChatSettings.objects.update(max_concurrent_chats=1)
    queue = hours_queue()
    agent = agent_factory(queue=queue, logged_in=False)
    frozen(local(WEEK[FRI], "15:00"))
    before_closing = start(queue, "Friday")  # open, nobody logged in: waits, not held
    frozen(local(WEEK[SAT], "10:00"))
    saturday = start(queue, "Saturday")
    frozen(local(WEEK[SAT], "11:00"))
    saturday_later = start(queue, "Saturday later")
    frozen(local(WEEK[SUN], "12:00"))
    sunday = start(queue, "Sunday")
    frozen(local(NEXT_MON, "08:00:10"))
    monday = start(queue, "Monday")  # the queue is open: queued at once, 08:00:10
    frozen(local(NEXT_MON, "08:00:20"))
    assert chats_release_held() == 3
    presence_login(agent_id=agent.pk)
    served = []
    for _ in range(5):
        dispatch()
        chat = Chat.objects.get(agent=agent, status=Chat.Status.ASSIGNED)
        served.append(chat.visitor_name)
        chat_close(chat_id=chat.pk, reason=Chat.CloseReason.SYSTEM)
    assert served == ["Friday", "Saturday", "Saturday later", "Sunday", "Monday"]
    assert {before_closing.pk, saturday.pk, saturday_later.pk, sunday.pk, monday.pk} == set(
        Chat.objects.filter(status=Chat.Status.CLOSED).values_list("pk", flat=True)
    )


def test_only_open_queues_release_their_chats(hours_queue, frozen):
    warsaw = hours_queue(name="Warsaw")
    new_york = hours_queue(name="New York", zone="America/New_York")
    frozen(local(WEEK[SAT], "10:00"))
    start(warsaw, "W")
    start(new_york, "N")
    frozen(local(NEXT_MON, "08:30"))  # 02:30 in New York
    assert chats_release_held() == 1
    assert list(Chat.objects.filter(hours_held_at__isnull=False).values_list("visitor_name", flat=True)) == ["N"]


def test_a_queue_whose_business_hours_went_off_releases_at_the_run(hours_queue, frozen):
    queue = hours_queue()
    frozen(local(WEEK[SAT], "10:00"))
    chat = start(queue)
    type(queue).objects.filter(pk=queue.pk).update(business_hours=False)
    now = frozen(local(WEEK[SAT], "10:05"))
    assert chats_release_held() == 1
    assert Chat.objects.get(pk=chat.pk).queued_at == now


def test_an_agent_may_take_a_held_chat_by_hand_and_it_is_no_longer_held(hours_queue, agent_factory, frozen):
    queue = hours_queue()
    agent = agent_factory(queue=queue, logged_in=True)
    frozen(local(WEEK[SAT], "10:00"))
    chat = start(queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    assert Chat.objects.get(pk=chat.pk).hours_held_at is None
    chat_requeue(chat_id=chat.pk, reason="manual")
    chat.refresh_from_db()
    assert (chat.status, chat.hours_held_at) == (Chat.Status.WAITING, None)  # back in the queue, not held again
    frozen(local(NEXT_MON, "08:00"))
    assert chats_release_held() == 0


def test_the_task_and_the_command_run_the_release_rule(hours_queue, frozen):
    queue = hours_queue()
    frozen(local(WEEK[SAT], "10:00"))
    start(queue, "A")
    start(queue, "B")
    frozen(local(NEXT_MON, "08:00"))
    assert tasks.release_held_chats.apply().get() == 2
    frozen(local(WEEK[SAT] + dt.timedelta(weeks=1), "10:00"))
    start(queue, "C")
    frozen(local(NEXT_MON + dt.timedelta(weeks=1), "08:00"))
    out = StringIO()
    call_command("run_chat_rules", "--rule", "release_held", stdout=out)
    assert out.getvalue().startswith("release_held: 1 chats held for business hours queued at the opening (")
