"""The inbox's polls answer "nothing new" from the versions their page carries, without a query; anything that
the page shows moves a version, and the next poll brings it (docs/decisions.md, "Cheap polls")."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.services.messages import message_post

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def poll_url(response, element_id: str) -> str:
    """The ``hx-get`` of the page's poll element, as the browser would request it."""
    content = response.content.decode()
    tag = re.search(rf'<div id="{element_id}"[^>]*>', content).group(0)
    return html.unescape(re.search(r'hx-get="([^"]+)"', tag).group(1))


def test_the_sidebar_poll_says_nothing_new_without_a_query_until_a_chat_arrives(
    cache_in_memory, client, agent, start_chat, committed, django_assert_num_queries, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)  # a waiting chat's "waiting 0 s" stays true
    client.force_login(agent)
    url = poll_url(client.get(reverse("inbox:index")), "sidebar-live")
    with django_assert_num_queries(0):
        assert client.get(url, **HTMX).status_code == 204

    with committed():
        start_chat(name="Newcomer")
    changed = client.get(url, **HTMX)
    assert changed.status_code == 200 and "Newcomer" in changed.content.decode()

    with django_assert_num_queries(0):
        assert client.get(poll_url(changed, "sidebar-live"), **HTMX).status_code == 204


def test_the_open_chat_s_poll_says_nothing_new_without_a_query_until_the_client_writes(
    cache_in_memory, client, agent, my_chat, committed, django_assert_num_queries
):
    client.force_login(agent)
    url = poll_url(client.get(reverse("inbox:chat", args=[my_chat.pk])), "chat-poll")
    with django_assert_num_queries(0):
        assert client.get(url, **HTMX).status_code == 204

    with committed():
        message_post(chat_id=my_chat.pk, sender="client", body="Are you there?")
    changed = client.get(url, **HTMX)
    assert "Are you there?" in changed.content.decode()

    # Reading the message moved the chat's version once more: the next poll brings only the current version.
    current = poll_url(changed, "chat-poll")
    again = client.get(current, **HTMX)
    if again.status_code == 200:
        assert "Are you there?" not in again.content.decode()
        current = poll_url(again, "chat-poll")
    with django_assert_num_queries(0):
        assert client.get(current, **HTMX).status_code == 204


def test_another_user_s_poll_address_gets_him_his_own_sidebar(cache_in_memory, client, agent, colleague):
    client.force_login(agent)
    url = poll_url(client.get(reverse("inbox:index")), "sidebar-live")
    client.force_login(colleague)

    response = client.get(url, **HTMX)

    assert response.status_code == 200  # the full path, with his own user and his own versions
    assert poll_url(response, "sidebar-live") != url


def test_a_poll_after_the_session_ended_goes_to_the_login_page(cache_in_memory, client, agent):
    client.force_login(agent)
    url = poll_url(client.get(reverse("inbox:index")), "sidebar-live")
    client.logout()

    response = client.get(url, **HTMX)

    assert response.status_code == 204 and reverse("inbox:login") in response["HX-Redirect"]


def test_a_forged_token_takes_the_full_path(cache_in_memory, client, agent, django_assert_max_num_queries):
    client.force_login(agent)
    url = poll_url(client.get(reverse("inbox:index")), "sidebar-live")
    forged = re.sub(r"t=[^&]+", "t=" + f"{agent.pk}|a{agent.pk}.1:forged", url)

    response = client.get(forged, **HTMX)

    assert response.status_code == 200 and poll_url(response, "sidebar-live") != forged


def test_the_waiting_time_shown_is_redrawn_when_its_text_would_change(
    cache_in_memory, client, agent, start_chat, time_machine
):
    start_chat(name="Patient")
    client.force_login(agent)
    url = poll_url(client.get(reverse("inbox:index")), "sidebar-live")
    assert client.get(url, **HTMX).status_code == 204

    time_machine.move_to(timezone.now() + timedelta(seconds=3))
    later = client.get(url, **HTMX)

    assert later.status_code == 200  # "waiting 3 s": the sidebar again, though no version moved


def test_a_waiting_chat_s_reason_is_checked_again_though_only_other_agents_presence_changed(
    cache_in_memory, client, agent, colleague, start_chat, time_machine, django_assert_num_queries
):
    from agents.models import Presence

    time_machine.move_to(timezone.now(), tick=False)
    Presence.objects.filter(agent=colleague).update(logged_in=False)
    Presence.objects.filter(agent=agent).update(logged_in=False)
    chat = start_chat(name="Patient")
    client.force_login(agent)
    page = client.get(reverse("inbox:chat", args=[chat.pk]))
    assert 'data-reason="no_agent_logged_in"' in page.content.decode()
    url = poll_url(page, "chat-poll")
    with django_assert_num_queries(0):
        assert client.get(url, **HTMX).status_code == 204

    Presence.objects.filter(agent=colleague).update(logged_in=True)  # moves no counter the chat page follows
    time_machine.move_to(timezone.now() + timedelta(seconds=11))
    redrawn = client.get(url, **HTMX)

    assert redrawn.status_code == 200 and 'data-reason="being_assigned"' in redrawn.content.decode()
