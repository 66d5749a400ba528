"""The agent chain: every strategy alone, each pair where the first cannot decide, lowest id last."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import PauseType
from chat.models import Chat
from chat.services.dispatch import dispatch
from tests import factories

from .helpers import agent_of, assignment, presence, set_agent_order, waiting_chat

pytestmark = pytest.mark.django_db

ALL = ["owner", "queue_priority", "last_agent", "fewest_open_chats", "longest_unassigned"]


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def two_agents(agent_factory, queue):
    """Agent a (lower id) and agent b: the lowest-id rule alone would pick a."""
    a = agent_factory(queue=queue, username="a")
    b = agent_factory(queue=queue, username="b")
    assert a.pk < b.pk
    return a, b


def _prefer_b(code: str, a, b, queue, chat_kwargs: dict) -> None:
    """Make strategy ``code`` prefer b; everything else stays tied between a and b."""
    if code == "owner":
        chat_kwargs["customer"] = factories.CustomerFactory(owner=b)
    elif code == "queue_priority":
        b.memberships.filter(queue=queue).update(priority=9)
    elif code == "last_agent":
        customer = chat_kwargs.setdefault("customer", factories.CustomerFactory())
        earlier = timezone.now() - timedelta(days=2)
        factories.ChatFactory(
            queue=queue, customer=customer, status=Chat.Status.CLOSED, agent=b, created_at=earlier,
            closed_at=earlier, close_reason="agent",
        )
    elif code == "fewest_open_chats":
        presence(a, open_chats=1)
    elif code == "longest_unassigned":
        now = timezone.now()
        presence(a, last_assigned_at=now - timedelta(minutes=1))
        presence(b, last_assigned_at=now - timedelta(hours=1))


def _tie(code: str, a, b) -> None:
    """Make strategy ``code`` unable to decide (its default scenario is a tie except for these)."""
    if code == "longest_unassigned":
        same = timezone.now() - timedelta(minutes=5)
        presence(a, last_assigned_at=same)
        presence(b, last_assigned_at=same)


@pytest.mark.parametrize("code", ALL)
def test_each_strategy_alone_picks_its_best_agent_over_the_lower_id(code, two_agents, queue):
    a, b = two_agents
    set_agent_order(code)
    chat_kwargs: dict = {}
    _prefer_b(code, a, b, queue, chat_kwargs)
    chat = waiting_chat(queue, **chat_kwargs)

    assert dispatch() == 1

    assert agent_of(chat) == b
    assert assignment(chat).strategy == code


@pytest.mark.parametrize(
    ("first", "second"), [(x, y) for x in ALL for y in ALL if x != y], ids=lambda c: c
)
def test_first_strategy_that_cannot_decide_hands_on_to_the_second(first, second, two_agents, queue):
    a, b = two_agents
    set_agent_order(first, second)
    _tie(first, a, b)
    chat_kwargs: dict = {}
    _prefer_b(second, a, b, queue, chat_kwargs)
    chat = waiting_chat(queue, **chat_kwargs)

    dispatch()

    assert agent_of(chat) == b
    assert assignment(chat).strategy == second


def test_lowest_id_wins_when_every_strategy_ties(two_agents, queue):
    a, _b = two_agents
    chat = waiting_chat(queue)

    dispatch()

    assert agent_of(chat) == a
    assert assignment(chat).strategy == "lowest_id"


def test_a_single_eligible_agent_is_recorded_as_only_eligible(agent_factory, queue):
    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue)

    dispatch()

    assert agent_of(chat) == agent
    assert assignment(chat).strategy == "only_eligible"


def test_owner_who_is_paused_cannot_decide_and_hands_on(two_agents, queue, agent_factory):
    a, b = two_agents
    owner = agent_factory(queue=queue, pause_type=PauseType.objects.get(code="break"))
    b.memberships.update(priority=5)
    chat = waiting_chat(queue, customer=factories.CustomerFactory(owner=owner))

    dispatch()

    assert agent_of(chat) == b
    assert assignment(chat).strategy == "queue_priority"


def test_owner_outside_the_queue_gets_the_chat_when_owner_comes_first(two_agents, queue, agent_factory):
    owner = agent_factory(username="owner-not-member")
    chat = waiting_chat(queue, customer=factories.CustomerFactory(owner=owner))

    dispatch()

    assert agent_of(chat) == owner
    assert assignment(chat).strategy == "owner"


def test_owner_outside_the_queue_ranks_below_members_on_queue_priority(two_agents, queue, agent_factory):
    a, b = two_agents
    owner = agent_factory(username="owner-not-member")
    set_agent_order("queue_priority")
    chat = waiting_chat(queue, customer=factories.CustomerFactory(owner=owner))

    dispatch()

    assert agent_of(chat) == a  # a and b tie at priority 0, the owner ranks below them; then the lowest id
    assert assignment(chat).strategy == "lowest_id"


def test_last_agent_who_is_not_eligible_hands_on(two_agents, queue, agent_factory):
    a, b = two_agents
    gone = agent_factory(queue=queue, logged_in=False)
    customer = factories.CustomerFactory()
    earlier = timezone.now() - timedelta(days=1)
    factories.ChatFactory(queue=queue, customer=customer, status="closed", agent=gone, created_at=earlier,
                          closed_at=earlier, close_reason="agent")
    set_agent_order("last_agent", "fewest_open_chats")
    presence(a, open_chats=2)
    chat = waiting_chat(queue, customer=customer)

    dispatch()

    assert agent_of(chat) == b
    assert assignment(chat).strategy == "fewest_open_chats"


def test_last_agent_is_found_by_the_visitor_email_without_a_crm_customer(two_agents, queue):
    a, b = two_agents
    earlier = timezone.now() - timedelta(days=1)
    factories.ChatFactory(queue=queue, visitor_email="anna@example.com", status="closed", agent=b,
                          created_at=earlier, closed_at=earlier, close_reason="agent")
    set_agent_order("last_agent")
    chat = waiting_chat(queue, visitor_email="anna@example.com")

    dispatch()

    assert agent_of(chat) == b
    assert assignment(chat).strategy == "last_agent"


def test_last_agent_is_the_most_recent_earlier_chat(two_agents, queue):
    a, b = two_agents
    customer = factories.CustomerFactory()
    for agent, days in ((b, 5), (a, 1)):
        at = timezone.now() - timedelta(days=days)
        factories.ChatFactory(queue=queue, customer=customer, status="closed", agent=agent, created_at=at,
                              closed_at=at, close_reason="agent")
    set_agent_order("last_agent")
    presence(a, open_chats=2)  # would lose on fewest_open_chats
    chat = waiting_chat(queue, customer=customer)

    dispatch()

    assert agent_of(chat) == a
    assert assignment(chat).strategy == "last_agent"


def test_never_assigned_counts_as_longest_unassigned(two_agents, queue):
    a, b = two_agents
    set_agent_order("longest_unassigned")
    presence(a, last_assigned_at=timezone.now() - timedelta(days=30))
    chat = waiting_chat(queue)

    dispatch()

    assert agent_of(chat) == b
    assert assignment(chat).strategy == "longest_unassigned"


def test_chain_query_count_does_not_grow_with_the_number_of_agents(agent_factory, queue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_one_assignment() -> int:
        waiting_chat(queue, customer=factories.CustomerFactory())
        with CaptureQueriesContext(connection) as ctx:
            assert dispatch() == 1
        return len(ctx.captured_queries)

    agent_factory(queue=queue)
    few = queries_for_one_assignment()
    for _ in range(30):
        agent_factory(queue=queue)
    many = queries_for_one_assignment()

    assert many == few
