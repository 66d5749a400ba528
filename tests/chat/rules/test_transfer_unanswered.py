"""Transfer on no reply (parameter 3) and the pause (parameter 4), through the routing services."""

from __future__ import annotations

import pytest

from agents.models import PauseType, Presence, PresenceEvent
from agents.services import presence_login
from chat.models import Chat, ChatEvent, NoReplyExclusion
from chat.services.chats import chat_customer_verify, chat_start
from chat.services.dispatch import dispatch
from chat.services.messages import message_post
from chat.services.rules import chats_transfer_unanswered
from tests import factories

from .conftest import T0, reload

pytestmark = pytest.mark.django_db

X = 60  # the card's default


@pytest.fixture
def team(agent_factory, queue):
    """Three agents of the queue; the chain's queue priority picks ala, then bea, then cyr."""
    return {
        "ala": agent_factory(username="ala", queue=queue, priority=30),
        "bea": agent_factory(username="bea", queue=queue, priority=20),
        "cyr": agent_factory(username="cyr", queue=queue, priority=10),
    }


@pytest.fixture
def start(clock, queue):
    def start_chat(name="Visitor") -> Chat:
        chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name)
        dispatch()
        return reload(chat)

    return start_chat


def client_writes(chat, body="Hello?"):
    return message_post(chat_id=chat.pk, sender="client", body=body)


def agent_writes(chat, agent, body="Good morning"):
    return message_post(chat_id=chat.pk, sender="agent", body=body, author_id=agent.pk)


@pytest.fixture
def break_pause(card):
    pause = PauseType.objects.get(code="break")
    card(no_reply_pause_type=pause)
    return pause


def test_chat_is_kept_one_second_before_x_seconds_without_reply(clock, team, start):
    chat = start()
    assert chat.agent == team["ala"]
    client_writes(chat)
    clock(seconds=X - 1)
    assert chats_transfer_unanswered() == 0
    assert reload(chat).agent == team["ala"]


def test_chat_goes_to_another_agent_after_x_seconds_without_reply(clock, team, start):
    chat = start()
    client_writes(chat)
    moved_at = clock(seconds=X)
    assert chats_transfer_unanswered() == 1
    chat = reload(chat)
    assert (chat.status, chat.agent, chat.assigned_at) == (Chat.Status.ASSIGNED, team["bea"], moved_at)


def test_transfer_is_recorded_and_the_agent_excluded(clock, team, start):
    chat = start()
    client_writes(chat)
    clock(seconds=X)
    chats_transfer_unanswered()
    transfers = list(ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.TRANSFERRED))
    assert [(e.reason, e.from_agent_id) for e in transfers] == [("no_reply", team["ala"].pk)]
    assert list(NoReplyExclusion.objects.filter(chat=chat).values_list("agent_id", flat=True)) == [team["ala"].pk]
    assert Presence.objects.get(agent=team["ala"]).open_chats == 0


def test_clock_counts_from_the_assignment_when_it_came_after_the_message(clock, card, queue, agent_factory):
    ala = agent_factory(username="ala", queue=queue, logged_in=False)
    agent_factory(username="bea", queue=queue, logged_in=False)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk)
    client_writes(chat)  # T0, nobody there yet
    clock(seconds=30)
    presence_login(agent_id=ala.pk)
    dispatch()
    assert reload(chat).agent == ala
    clock(seconds=30 + X - 1)
    assert chats_transfer_unanswered() == 0
    clock(seconds=30 + X)
    assert chats_transfer_unanswered() == 1


def test_agent_who_never_answered_is_put_on_the_no_reply_pause(clock, team, start, break_pause):
    chat = start()
    client_writes(chat)
    clock(seconds=X)
    chats_transfer_unanswered()
    assert Presence.objects.get(agent=team["ala"]).pause_type == break_pause
    paused = list(ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.AGENT_PAUSED))
    expected = [(team["ala"].pk, "no_reply", {"pause_type": break_pause.pk})]
    assert [(e.agent_id, e.reason, e.data) for e in paused] == expected
    assert PresenceEvent.objects.filter(agent=team["ala"], kind="paused", reason="no_reply").count() == 1


def test_agent_who_answered_before_is_transferred_but_not_paused(clock, team, start, break_pause):
    chat = start()
    client_writes(chat)
    clock(seconds=10)
    agent_writes(chat, team["ala"])
    clock(seconds=20)
    client_writes(chat, "And one more thing")
    clock(seconds=20 + X)
    assert chats_transfer_unanswered() == 1
    assert reload(chat).agent == team["bea"]
    assert Presence.objects.get(agent=team["ala"]).pause_type is None
    assert not ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.AGENT_PAUSED).exists()


def test_no_pause_when_parameter_4_is_empty(clock, team, start, card):
    card(no_reply_pause_type=None)
    chat = start()
    client_writes(chat)
    clock(seconds=X)
    chats_transfer_unanswered()
    assert Presence.objects.get(agent=team["ala"]).pause_type is None


def test_each_new_unanswered_period_counts_again(clock, team, start):
    chat = start()
    client_writes(chat)
    clock(seconds=10)
    agent_writes(chat, team["ala"])
    clock(seconds=20)
    client_writes(chat, "Still there?")
    clock(seconds=20 + X - 1)
    assert chats_transfer_unanswered() == 0
    clock(seconds=20 + X)
    assert chats_transfer_unanswered() == 1


def test_an_answered_chat_is_never_transferred(clock, team, start):
    chat = start()
    client_writes(chat)
    clock(seconds=10)
    agent_writes(chat, team["ala"])
    clock(hours=5)
    assert chats_transfer_unanswered() == 0
    assert reload(chat).agent == team["ala"]


def test_second_unanswered_period_moves_the_chat_to_a_third_agent(clock, team, start, break_pause):
    chat = start()
    client_writes(chat)
    clock(seconds=X)
    chats_transfer_unanswered()  # ala -> bea at T0 + 60
    clock(seconds=2 * X - 1)
    assert chats_transfer_unanswered() == 0
    clock(seconds=2 * X)
    assert chats_transfer_unanswered() == 1
    chat = reload(chat)
    assert chat.agent == team["cyr"]
    assert set(NoReplyExclusion.objects.filter(chat=chat).values_list("agent_id", flat=True)) == {
        team["ala"].pk,
        team["bea"].pk,
    }
    transfers = ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.TRANSFERRED).order_by("id")
    assert [e.from_agent_id for e in transfers] == [team["ala"].pk, team["bea"].pk]
    assert Presence.objects.get(agent=team["bea"]).pause_type == break_pause


def test_with_no_available_agent_the_chat_waits_keeping_its_queue_time(clock, queue, agent_factory, start,
                                                                      break_pause):
    ala = agent_factory(username="ala", queue=queue)
    chat = start()
    assert chat.agent == ala
    client_writes(chat)
    clock(seconds=X)
    assert chats_transfer_unanswered() == 1  # ala never answered: parameter 4 pauses her
    chat = reload(chat)
    assert (chat.status, chat.agent, chat.queued_at) == (Chat.Status.WAITING, None, T0)


def test_the_vip_goes_back_to_his_owner_at_once_when_nobody_else_is_free(clock, card, queue, agent_factory):
    """Issue 14: a VIP waited 20 minutes while his owner sat available at 3 of 6 chats, because the no-reply
    rule had excluded her from his chat for good and nobody else was free."""
    card(max_concurrent_chats=6, no_reply_pause_type=None)
    owner = agent_factory(username="owner")  # the customer's owner, in no queue
    bea = agent_factory(username="bea", queue=queue)
    Presence.objects.filter(agent=bea).update(open_chats=6)  # full
    agent_factory(username="cyr", queue=queue, logged_in=False)
    Presence.objects.filter(agent=owner).update(open_chats=3)
    factories.CustomerFactory(name="VIP", email="vip@example.com", owner=owner, vip=True)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_email="vip@example.com")
    chat_customer_verify(chat_id=chat.pk, via=Chat.Verification.SIGNED_EMAIL)
    dispatch()
    assert reload(chat).agent == owner
    client_writes(chat)
    moved_at = clock(seconds=X)

    assert chats_transfer_unanswered() == 1

    chat = reload(chat)
    assert (chat.status, chat.agent, chat.assigned_at) == (Chat.Status.ASSIGNED, owner, moved_at)
    events = ChatEvent.objects.filter(chat=chat, kind__in=["transferred", "assigned"]).order_by("id")
    assert [(e.kind, e.from_agent_id or e.agent_id) for e in events] == [
        ("assigned", owner.pk), ("transferred", owner.pk), ("assigned", owner.pk),
    ]
    assert Presence.objects.get(agent=owner).open_chats == 4
    assert NoReplyExclusion.objects.filter(chat=chat, agent=owner).exists()  # she is still last in line


def test_with_another_agent_free_the_excluded_owner_does_not_get_the_chat_back(clock, card, queue, agent_factory):
    card(max_concurrent_chats=6, no_reply_pause_type=None)
    owner = agent_factory(username="owner")
    bea = agent_factory(username="bea", queue=queue)
    factories.CustomerFactory(name="VIP", email="vip@example.com", owner=owner, vip=True)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_email="vip@example.com")
    dispatch()
    assert reload(chat).agent == owner
    client_writes(chat)
    clock(seconds=X)

    assert chats_transfer_unanswered() == 1

    assert reload(chat).agent == bea
    assert Presence.objects.get(agent=owner).open_chats == 0


def test_the_requeued_chat_is_served_before_later_chats(clock, card, queue, agent_factory, start):
    card(max_concurrent_chats=1, no_reply_pause_type=None)
    ala = agent_factory(username="ala", queue=queue)
    first = start("first")
    client_writes(first)
    clock(seconds=30)
    later = start("later")  # ala is full: it waits
    clock(seconds=X)
    # "first" goes back to the head of the queue; ala, though excluded from it, is the only free agent: she
    # gets it back before "later".
    chats_transfer_unanswered()
    assert reload(first).agent == ala
    assert reload(later).agent is None
    dora = agent_factory(username="dora", queue=queue)
    dispatch()
    assert reload(later).agent == dora


def test_running_twice_transfers_once(clock, team, start):
    chat = start()
    client_writes(chat)
    clock(seconds=X)
    assert chats_transfer_unanswered() == 1
    assert chats_transfer_unanswered() == 0
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.TRANSFERRED).count() == 1
    assert reload(chat).agent == team["bea"]


def test_a_changed_delay_acts_at_the_next_run(clock, card, team, start):
    chat = start()
    client_writes(chat)
    clock(seconds=100)
    card(no_reply_transfer_after=300)
    assert chats_transfer_unanswered() == 0
    card(no_reply_transfer_after=90)
    assert chats_transfer_unanswered() == 1


def test_zero_seconds_switches_the_transfer_off(clock, card, team, start):
    card(no_reply_transfer_after=0)
    chat = start()
    client_writes(chat)
    clock(hours=3)
    assert chats_transfer_unanswered() == 0
    assert reload(chat).agent == team["ala"]


def test_an_agent_already_on_another_pause_keeps_it(clock, team, start, break_pause):
    from agents.services import presence_pause

    chat = start()
    client_writes(chat)
    wrap_up = PauseType.objects.get(code="wrap_up")
    presence_pause(agent_id=team["ala"].pk, pause_type_id=wrap_up.pk)
    clock(seconds=X)
    assert chats_transfer_unanswered() == 1
    assert Presence.objects.get(agent=team["ala"]).pause_type == wrap_up
    assert not ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.AGENT_PAUSED).exists()


def test_messenger_chat_is_transferred_like_a_website_chat(clock, team, queue):
    chat = chat_start(channel=Chat.Channel.MESSENGER, queue_id=queue.pk, visitor_messenger_id="psid-1")
    dispatch()
    assert reload(chat).agent == team["ala"]
    client_writes(chat)
    clock(seconds=X)
    assert chats_transfer_unanswered() == 1
    assert reload(chat).agent == team["bea"]


def test_internal_chats_are_never_transferred(clock, make_chat, team):
    chat = make_chat(channel=Chat.Channel.INTERNAL, status=Chat.Status.ASSIGNED, agent=team["ala"],
                     awaiting_reply_since=clock())
    clock(hours=1)
    assert chats_transfer_unanswered() == 0
    assert reload(chat).agent == team["ala"]
