"""Satisfaction ratings in the inbox (issue 17, point 3): the chat's header and timeline show its rating, the
customer's card each rated chat and the customer's average; an open page learns of a rating by its poll."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from chat.models import Chat
from chat.services.chats import chat_assign, chat_close, chat_customer_confirm
from chat.services.ratings import chat_rate
from crm.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def page(client, chat) -> str:
    response = client.get(reverse("inbox:chat", args=[chat.pk]))
    assert response.status_code == 200
    return response.content.decode()


def card_of(html: str) -> str:
    """The customer card and what follows it on the page (it comes last)."""
    return html[html.index('data-testid="customer-card"'):]


def handled(start_chat, agent, *, name="Ewa", email="", key="", confirm=False) -> Chat:
    chat = start_chat(name=name, email=email, key=key)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    if confirm:
        chat_customer_confirm(chat_id=chat.pk, actor=agent)
    return chat


def close_and_rate(chat, agent, score, comment=""):
    chat_close(chat_id=chat.pk, reason="agent", actor=agent)
    if score is not None:
        chat_rate(chat_id=chat.pk, score=score, comment=comment, via="widget")
    return Chat.objects.get(pk=chat.pk)


@pytest.fixture
def customer_chats(start_chat, agent):
    """Ewa (a verified customer) rated two earlier chats 5 and 3 and left one unrated; the latest is rated 4."""
    Customer.objects.create(name="Ewa Nowak", email="ewa@example.pl")
    earlier = []
    for n, score in enumerate((5, 3, None)):
        chat = handled(start_chat, agent, email="ewa@example.pl", key=f"key-ewa-earlier-{n}", confirm=True)
        earlier.append(close_and_rate(chat, agent, score, "Slow answer" if score == 3 else ""))
    latest = handled(start_chat, agent, email="ewa@example.pl", key="key-ewa-latest-000", confirm=True)
    latest = close_and_rate(latest, agent, 4, "Quick and helpful.")
    return latest, earlier


def test_the_header_and_the_timeline_show_the_rating(agent_client, customer_chats):
    latest, _earlier = customer_chats

    html = page(agent_client, latest)

    assert re.search(r'data-testid="chat-rating"[^>]*>Rated 4/5<', html)
    assert "Rated 4 of 5 by the client: “Quick and helpful.”" in html


def test_the_customer_card_shows_this_chats_rating_each_earlier_one_and_the_average(agent_client, customer_chats):
    latest, earlier = customer_chats

    card = card_of(page(agent_client, latest))

    assert re.search(r'data-testid="this-chat-rating">.*This chat: 4 of 5.*Quick and helpful\.', card, re.S)
    assert "Average 4.0 of 5 (3 rated chats)" in card  # (5 + 3 + 4) / 3; the unrated chat counts in neither
    history = re.search(r'data-testid="history".*?</ul>', card, re.S).group(0)
    assert re.findall(r'data-testid="history-rating"[^>]*>(Rated \d/5)<', history) == ["Rated 3/5", "Rated 5/5"]
    assert 'title="Slow answer"' in history


def test_one_rated_chat_says_so_in_the_singular(agent_client, agent, start_chat):
    chat = close_and_rate(handled(start_chat, agent, key="key-single-00000"), agent, 2)

    card = card_of(page(agent_client, chat))

    assert "Average 2.0 of 5 (1 rated chat)" in card


def test_an_unrated_chat_of_a_customer_without_ratings_shows_no_rating(agent_client, agent, start_chat):
    chat = close_and_rate(handled(start_chat, agent, key="key-none-0000000"), agent, None)

    html = page(agent_client, chat)

    assert 'data-testid="customer-ratings"' not in html
    assert 'data-testid="chat-rating"' not in html


def test_a_typed_email_opens_nobodys_ratings(agent_client, agent, start_chat, customer_chats):
    """A claim (not verified) shows neither the customer's earlier chats nor their ratings."""
    claim = handled(start_chat, agent, name="Somebody", email="ewa@example.pl", key="key-claim-000000")

    card = card_of(page(agent_client, claim))

    assert 'data-testid="customer-ratings"' not in card
    assert "Rated 5/5" not in card


def test_the_open_page_redraws_its_header_and_timeline_when_the_rating_arrives(agent_client, agent, start_chat):
    chat = close_and_rate(handled(start_chat, agent, key="key-poll-0000000"), agent, None)
    html = page(agent_client, chat)
    state = re.search(r'&amp;s=([0-9a-f]+)&amp;', html).group(1)
    last = int(re.search(r"\?after=(\d+)", html).group(1))

    chat_rate(chat_id=chat.pk, score=5, comment="Thanks!", via="widget")
    response = agent_client.get(
        reverse("inbox:chat_poll", args=[chat.pk]), {"after": last, "s": state}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="chat-header" class="chat-header" hx-swap-oob="true"' in body
    assert "Rated 5/5" in body
    assert "Rated 5 of 5 by the client: “Thanks!”" in body


def test_the_earlier_chat_page_shows_its_rating_and_comment(agent_client, customer_chats):
    latest, earlier = customer_chats

    response = agent_client.get(reverse("inbox:history", args=[latest.pk, earlier[1].pk]))

    html = response.content.decode()
    assert 'data-testid="history-rating">Rated 3/5<' in html
    assert "The client's comment: <q>Slow answer</q>" in html
