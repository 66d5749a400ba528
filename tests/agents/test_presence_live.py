"""The inbox's signs of life (issue 13, point 4): cheap to give often, counted from a log-in, never moved back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from agents.models import PauseType, Presence
from agents.services import (
    presence_live_closed,
    presence_live_seen,
    presence_login,
    presence_pause,
    presence_resume,
)

pytestmark = pytest.mark.django_db


def seen(agent):
    return Presence.objects.get(agent=agent).live_seen_at


@pytest.fixture
def now(time_machine):
    from tests.chat.rules.conftest import T0

    time_machine.move_to(T0, tick=False)
    return T0


def test_a_heartbeat_is_written_at_most_once_in_ten_seconds(agent_factory, now, time_machine):
    agent = agent_factory()

    assert presence_live_seen(agent_id=agent.pk) is True
    time_machine.move_to(now + timedelta(seconds=5), tick=False)
    assert presence_live_seen(agent_id=agent.pk) is False  # a second tab, a fallback poll: no write
    assert seen(agent) == now
    time_machine.move_to(now + timedelta(seconds=11), tick=False)
    assert presence_live_seen(agent_id=agent.pk) is True
    assert seen(agent) == now + timedelta(seconds=11)


def test_a_heartbeat_writes_one_statement_and_reads_nothing(agent_factory, now, django_assert_num_queries):
    agent = agent_factory()
    with django_assert_num_queries(1):
        presence_live_seen(agent_id=agent.pk)
    with django_assert_num_queries(1):
        presence_live_seen(agent_id=agent.pk)  # throttled: the same conditional UPDATE, 0 rows


def test_logging_in_counts_as_a_sign_of_the_inbox(agent_factory, now, time_machine):
    agent = agent_factory(logged_in=False)
    presence_login(agent_id=agent.pk)
    assert seen(agent) == now

    time_machine.move_to(now + timedelta(minutes=5), tick=False)
    presence_login(agent_id=agent.pk)  # already logged in (another device): the clock starts again
    assert seen(agent) == now + timedelta(minutes=5)


def test_resuming_from_a_pause_counts_as_a_sign_of_the_inbox(agent_factory, now, time_machine):
    agent = agent_factory()
    presence_pause(agent_id=agent.pk, pause_type_id=PauseType.objects.get(code="break").pk)
    time_machine.move_to(now + timedelta(minutes=3), tick=False)
    presence_resume(agent_id=agent.pk)
    assert seen(agent) == now + timedelta(minutes=3)


def test_a_closed_connection_counts_until_it_closed_and_never_moves_the_clock_back(agent_factory, now, time_machine):
    agent = agent_factory()
    presence_live_seen(agent_id=agent.pk)
    time_machine.move_to(now + timedelta(seconds=3), tick=False)

    assert presence_live_closed(agent_id=agent.pk) is True  # not throttled
    assert seen(agent) == now + timedelta(seconds=3)
    assert presence_live_closed(agent_id=agent.pk, at=now) is False  # an older close (another tab, late)
    assert seen(agent) == now + timedelta(seconds=3)


def test_a_sign_for_an_unknown_agent_is_ignored(db):
    assert presence_live_seen(agent_id=987654) is False
    assert presence_live_seen(agent_id="nonsense") is False
    assert presence_live_closed(agent_id=None) is False


def test_the_inbox_fallback_poll_is_a_sign_of_the_inbox(client, agent_factory, now):
    agent = agent_factory()
    client.force_login(agent)

    response = client.get(reverse("inbox:live"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert seen(agent) == now
