"""The service entry points (``chat.services.hours``): is_open, next_opening, open_seconds on stored queues, and
``offline_reason``: closed (outside business hours), no_agents (nobody of the queue logged in, when the queue says
so), live."""

from __future__ import annotations

import datetime as dt

import pytest

from agents.models import PauseType
from chat.services import hours
from tests import factories

from .conftest import MON, SAT, TUE, WEEK, local

pytestmark = pytest.mark.django_db


def test_the_entry_points_read_the_stored_schedule(hours_queue, frozen):
    queue = hours_queue(exceptions=[(WEEK[TUE], "closed")])
    frozen(local(WEEK[MON], "17:00"))
    assert not hours.is_open(queue)
    assert hours.next_opening(queue) == local(WEEK[MON] + dt.timedelta(days=2), "08:00")  # Tuesday is a holiday
    assert hours.is_open(queue, local(WEEK[MON], "09:00"))
    assert hours.open_seconds(queue, local(WEEK[MON], "07:00"), local(WEEK[MON], "09:30")) == 1.5 * 3600


def test_a_queue_without_business_hours_is_open_at_any_time(frozen):
    queue = factories.QueueFactory(business_hours=False)
    now = frozen(local(WEEK[SAT], "03:00"))
    assert hours.is_open(queue)
    assert hours.next_opening(queue) == now
    assert hours.offline_reason(queue) == hours.LIVE


def test_switching_business_hours_off_keeps_the_rows_but_opens_the_queue(hours_queue, frozen):
    queue = hours_queue()
    frozen(local(WEEK[SAT], "03:00"))
    assert not hours.is_open(queue)
    queue.business_hours = False
    assert hours.is_open(queue)


def test_outside_business_hours_the_queue_is_offline_as_closed_even_with_agents(hours_queue, agent_factory, frozen):
    queue = hours_queue(offline_without_agents=True)
    agent_factory(queue=queue, logged_in=True)
    frozen(local(WEEK[SAT], "10:00"))
    assert hours.offline_reason(queue) == hours.CLOSED


def test_open_with_nobody_logged_in_is_offline_only_when_the_queue_says_so(hours_queue, agent_factory, frozen):
    queue = hours_queue(offline_without_agents=True)
    other = hours_queue(name="Other", offline_without_agents=False)
    agent_factory(queue=queue, logged_in=False)
    agent_factory(queue=other, logged_in=False)
    frozen(local(WEEK[MON], "10:00"))
    assert hours.offline_reason(queue) == hours.NO_AGENTS
    assert hours.offline_reason(other) == hours.LIVE


def test_an_agent_logged_in_on_a_pause_keeps_the_queue_live(hours_queue, agent_factory, frozen):
    queue = hours_queue(offline_without_agents=True)
    agent_factory(queue=queue, logged_in=True, pause_type=PauseType.objects.get(code="break"))
    frozen(local(WEEK[MON], "10:00"))
    assert hours.offline_reason(queue) == hours.LIVE


def test_agents_of_other_queues_and_inactive_accounts_do_not_count(hours_queue, agent_factory, frozen):
    queue = hours_queue(offline_without_agents=True)
    elsewhere = factories.QueueFactory(name="Elsewhere")
    agent_factory(queue=elsewhere, logged_in=True)
    agent_factory(queue=queue, logged_in=True, is_active=False)
    frozen(local(WEEK[MON], "10:00"))
    assert hours.offline_reason(queue) == hours.NO_AGENTS
    agent_factory(queue=queue, logged_in=True)
    assert hours.offline_reason(queue) == hours.LIVE


def test_offline_without_agents_applies_to_a_queue_without_business_hours_too(agent_factory, frozen):
    queue = factories.QueueFactory(business_hours=False, offline_without_agents=True)
    frozen(local(WEEK[SAT], "03:00"))
    assert hours.offline_reason(queue) == hours.NO_AGENTS
    agent_factory(queue=queue, logged_in=True)
    assert hours.offline_reason(queue) == hours.LIVE
