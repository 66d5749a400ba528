"""The routing invariant under real concurrency on PostgreSQL (docs/routing.md).

Several OS processes dispatch, change presence, close and press "Assign" at the
same time against the same database; afterwards no agent ever held more than the
maximum, no chat was ever assigned twice, every counter equals the real count, and
every chat that could be served was served. And ten agents pressing "Assign" on one
chat at the same moment: exactly one gets it.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from agents.models import Presence, User
from chat.models import Chat, ChatEvent, ChatSettings, Queue, QueueMembership
from chat.routing.choice import RoutingContext, choose_agent
from chat.services.chats import chat_assign
from chat.services.errors import ChatError
from crm.models import Customer
from tests.processes import process_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
PROCESSES = 4
AGENTS = 36
CHATS = 400
MAX = 3


def _run_processes(args_list: list[list[str]]) -> list[dict]:
    env = process_env()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.chat.services.routing_worker", *args], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for args in args_list
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _build_scenario(seed: int = 7) -> None:
    rng = random.Random(seed)
    card = ChatSettings.load()
    card.max_concurrent_chats = MAX
    card.save()
    queues = [Queue.objects.create(name=f"Q{i}") for i in range(4)]
    users = User.objects.bulk_create([User(username=f"race{i}", first_name=f"Race {i}") for i in range(AGENTS)])
    Presence.objects.bulk_create(
        [Presence(agent=u, logged_in=rng.random() < 0.8, on_phone_call=rng.random() < 0.1) for u in users]
    )
    QueueMembership.objects.bulk_create(
        [
            QueueMembership(agent=u, queue=q, priority=rng.randint(0, 3))
            for u in users
            for q in rng.sample(queues, rng.randint(1, 2))
        ]
    )
    customers = Customer.objects.bulk_create(
        [
            Customer(name=f"C{i}", email=f"c{i}@example.com", vip=rng.random() < 0.2,
                     owner=rng.choice(users) if rng.random() < 0.3 else None)
            for i in range(60)
        ]
    )
    now = timezone.now()
    Chat.objects.bulk_create(
        [
            Chat(
                channel="website", status="waiting", queue=rng.choice(queues),
                customer=rng.choice(customers) if rng.random() < 0.5 else None,
                queued_at=now - timedelta(seconds=CHATS - i), created_at=now - timedelta(seconds=CHATS - i),
            )
            for i in range(CHATS)
        ]
    )


def _replay_events_and_check() -> None:
    """Replay every chat's history in commit-safe id order: no double assignment, never over the maximum."""
    state: dict[int, str] = defaultdict(lambda: "waiting")
    holder: dict[int, int] = {}
    load: Counter = Counter()
    for chat_id, kind, agent_id, from_agent_id in ChatEvent.objects.order_by("id").values_list(
        "chat_id", "kind", "agent_id", "from_agent_id"
    ):
        if kind == "assigned":
            assert state[chat_id] == "waiting", f"chat {chat_id} assigned twice"
            state[chat_id], holder[chat_id] = "assigned", agent_id
            load[agent_id] += 1
            assert load[agent_id] <= MAX, f"agent {agent_id} over the maximum"
        elif kind == "transferred":
            assert state[chat_id] == "assigned" and holder[chat_id] == from_agent_id
            state[chat_id] = "waiting"
            load[holder.pop(chat_id)] -= 1
        elif kind == "closed":
            if state[chat_id] == "assigned":
                load[holder.pop(chat_id)] -= 1
            state[chat_id] = "closed"
    for chat in Chat.objects.all():
        assert state[chat.pk] == chat.status
        if chat.status == "assigned":
            assert holder[chat.pk] == chat.agent_id


def _check_counters_and_maximum() -> None:
    assigned = Chat.objects.filter(status="assigned").exclude(channel="internal")
    real = Counter(assigned.values_list("agent_id", flat=True))
    for presence in Presence.objects.all():
        assert presence.open_chats == real[presence.agent_id], f"counter of agent {presence.agent_id}"
        assert presence.open_chats <= MAX


def _check_everything_servable_was_served() -> None:
    """No chat left waiting has an eligible agent (the routing's eligibility: dispatch's own SQL, which the
    plain model of tests/chat/routing/test_dispatch_model.py checks against SPEC.md)."""
    card = ChatSettings.load()
    for chat in Chat.objects.filter(status="waiting", auto_assign_stopped_at__isnull=True).select_related("customer"):
        ctx = RoutingContext(
            chat_id=chat.pk, queue_id=chat.queue_id, owner_id=chat.customer.owner_id if chat.customer_id else None,
            max_chats=card.max_concurrent_chats, allow_phone_call=card.assign_during_phone_call,
        )
        assert choose_agent(ctx, card.agent_strategy_order) is None, f"chat {chat.pk} could have been served"


@pytest.mark.postgresql("several OS processes on one database")
def test_many_processes_dispatching_and_changing_presence_keep_the_invariant():
    _build_scenario()

    churn = _run_processes([["churn", str(seed), "120"] for seed in range(PROCESSES)])
    final = _run_processes([["dispatch", str(seed), "0"] for seed in range(PROCESSES)])

    assert sum(r["assigned"] + r["manual"] for r in churn) > CHATS // 4  # they really competed
    assert sum(r["closed"] for r in churn) > 0
    _replay_events_and_check()
    _check_counters_and_maximum()
    _check_everything_servable_was_served()
    assert Chat.objects.filter(status="assigned").count() > 0
    assert final  # every final dispatcher finished


@pytest.mark.postgresql("several OS processes on one database")
def test_four_processes_dispatching_the_same_queue_never_exceed_the_maximum():
    _build_scenario(seed=11)
    Presence.objects.update(logged_in=True, pause_type=None, on_phone_call=False)

    results = _run_processes([["dispatch", str(seed), "0"] for seed in range(PROCESSES)])

    assert sum(r["assigned"] for r in results) == Chat.objects.filter(status="assigned").count()
    _replay_events_and_check()
    _check_counters_and_maximum()
    _check_everything_servable_was_served()
    assert Presence.objects.filter(open_chats=MAX).count() > AGENTS // 2


def test_ten_agents_pressing_assign_on_one_chat_at_the_same_moment_one_wins():
    queue = Queue.objects.create(name="Race")
    agents = User.objects.bulk_create([User(username=f"presser{i}") for i in range(10)])
    Presence.objects.bulk_create([Presence(agent=a, logged_in=True) for a in agents])
    chat = Chat.objects.create(channel="website", status="waiting", queue=queue, queued_at=timezone.now())
    barrier = threading.Barrier(len(agents))
    outcomes: dict[int, object] = {}

    def press(agent_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            chat_assign(chat_id=chat.pk, agent_id=agent_id)
            outcomes[agent_id] = "won"
        except ChatError as error:
            outcomes[agent_id] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(a.pk,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    winners = [a for a, o in outcomes.items() if o == "won"]
    refusals = [o for o in outcomes.values() if isinstance(o, ChatError)]
    assert len(winners) == 1
    assert len(refusals) == 9
    assert {e.code for e in refusals} == {"taken"}
    chat.refresh_from_db()
    assert chat.agent_id == winners[0]
    assert ChatEvent.objects.filter(chat=chat, kind="assigned").count() == 1
    assert sum(Presence.objects.values_list("open_chats", flat=True)) == 1
