"""Which chat goes first: every chat-order key and the VIP-first reorder."""

from __future__ import annotations

import pytest

from chat.models import Chat, ChatStrategyStep
from chat.routing.chat_order import chat_order_by
from chat.services.dispatch import dispatch
from tests import factories

from .helpers import agent_of, served_order, set_card, set_chat_order, waiting_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Orders")


@pytest.fixture
def chats(queue):
    """Oldest first: a plain chat (30 min), a VIP (20 min), a plain chat (10 min), a VIP (5 min); the VIPs'
    links are verified (a claimed VIP e-mail gets no priority: see the last tests)."""
    vip = factories.CustomerFactory(vip=True)
    vip2 = factories.CustomerFactory(vip=True)
    return {
        "old": waiting_chat(queue, minutes_ago=30),
        "vip_old": waiting_chat(queue, minutes_ago=20, customer=vip, customer_verified=True),
        "new": waiting_chat(queue, minutes_ago=10),
        "vip_new": waiting_chat(queue, minutes_ago=5, customer=vip2, customer_verified=True),
    }


def _order(chats) -> list[str]:
    """The order dispatch serves them in (the SQL of ``chat_order_sql``), checked against the inbox's waiting
    list (the ORM's ``chat_order_by``): both speak the same keys."""
    names = {c.pk: name for name, c in chats.items()}
    codes = list(ChatStrategyStep.objects.order_by("order").values_list("code", flat=True))
    listed = list(Chat.objects.filter(pk__in=names).order_by(*chat_order_by(codes)).values_list("id", flat=True))
    queue = next(iter(chats.values())).queue
    served = served_order(queue)
    assert served == listed
    return [names[pk] for pk in served]


def test_default_order_is_fifo(chats):
    assert _order(chats) == ["old", "vip_old", "new", "vip_new"]


def test_vip_first_serves_vips_first_fifo_among_them(chats):
    set_chat_order("vip", "longest_waiting", "shortest_waiting")

    assert _order(chats) == ["vip_old", "vip_new", "old", "new"]


def test_shortest_waiting_first_serves_the_newest_first(chats):
    set_chat_order("shortest_waiting", "vip", "longest_waiting")

    assert _order(chats) == ["vip_new", "new", "vip_old", "old"]


def test_vip_then_shortest_waiting_serves_the_newest_vip_first(chats):
    set_chat_order("vip", "shortest_waiting", "longest_waiting")

    assert _order(chats) == ["vip_new", "vip_old", "new", "old"]


def test_equal_queue_times_fall_back_to_the_chat_id(queue):
    from django.utils import timezone

    at = timezone.now()
    first = factories.ChatFactory(queue=queue, queued_at=at)
    second = factories.ChatFactory(queue=queue, queued_at=at)

    assert served_order(queue) == [first.pk, second.pk]


def test_dispatch_gives_the_only_slot_to_the_first_chat_in_order(agent_factory, queue, chats):
    agent = agent_factory(queue=queue)
    set_card(max_concurrent_chats=1)
    set_chat_order("vip", "longest_waiting", "shortest_waiting")

    assert dispatch() == 1

    assert agent_of(chats["vip_old"]) == agent
    assert all(agent_of(chats[name]) is None for name in ("old", "new", "vip_new"))


def test_chat_without_an_eligible_agent_stays_waiting_and_the_next_is_served(agent_factory, queue):
    other_queue = factories.QueueFactory(name="Nobody here")
    agent = agent_factory(queue=queue)
    stuck = waiting_chat(other_queue, minutes_ago=60)
    served = waiting_chat(queue, minutes_ago=1)

    assert dispatch() == 1

    assert agent_of(stuck) is None
    assert agent_of(served) == agent


def test_a_claimed_vip_email_is_served_fifo_and_a_verified_vip_first(queue):
    """SPEC: VIP priority follows only from a verified link; typing a VIP's e-mail does not jump the queue."""
    set_chat_order("vip", "longest_waiting", "shortest_waiting")
    vip = factories.CustomerFactory(vip=True)
    plain = waiting_chat(queue, minutes_ago=30)
    claimed = waiting_chat(queue, minutes_ago=20, customer=vip)  # e-mail typed into the widget
    verified = waiting_chat(queue, minutes_ago=10, customer=vip, customer_verified=True,
                            customer_verified_via="signed_email")

    assert served_order(queue) == [verified.pk, plain.pk, claimed.pk]


def test_dispatch_serves_the_verified_vip_first_and_the_claim_in_its_fifo_turn(agent_factory, queue):
    agent = agent_factory(queue=queue)
    set_card(max_concurrent_chats=1)
    set_chat_order("vip", "longest_waiting", "shortest_waiting")
    vip = factories.CustomerFactory(vip=True)
    plain = waiting_chat(queue, minutes_ago=30)
    claimed = waiting_chat(queue, minutes_ago=40, customer=vip)
    verified = waiting_chat(queue, minutes_ago=10, customer=vip, customer_verified=True)

    assert dispatch() == 1
    assert agent_of(verified) == agent
    assert agent_of(claimed) is None and agent_of(plain) is None

    from chat.services.chats import chat_close

    chat_close(chat_id=verified.pk, reason="agent")
    dispatch()
    assert agent_of(claimed) == agent  # the oldest of the rest, not because of the VIP's e-mail
