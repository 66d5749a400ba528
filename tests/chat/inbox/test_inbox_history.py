"""Issue 14, point 5: history at hand. The inbox searches the chats the agent may see (visitor name, e-mail, words of
the messages with PostgreSQL full-text search: prefixes, accents ignored), opens an earlier chat of the customer
read-only, and e-mails a chat's transcript to the visitor."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from chat.models import Chat, Message
from chat.services.chats import chat_assign, chat_close
from chat.services.messages import message_post
from tests import factories


def search(client, q: str) -> str:
    answer = client.get(reverse("inbox:search"), {"q": q})
    assert answer.status_code == 200
    return answer.content.decode()


def found(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'class="result" data-chat-id="(\d+)"', html)}


@pytest.fixture
def anna_chat(start_chat, agent):
    chat = chat_assign(chat_id=start_chat(name="Ewa Kowalska", email="ewa@example.com").pk, agent_id=agent.pk)
    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body="Gdzie jest moje zamówienie FV/2026/12?")
    message_post(chat_id=chat.pk, sender=Message.Sender.AGENT, body="The parcel was delivered yesterday.",
                 author=chat.agent)
    return chat


@pytest.mark.postgresql("full-text search with the parley_search configuration")
def test_search_finds_by_name_e_mail_and_words_of_the_messages(agent_client, anna_chat):
    for query in ["Kowalska", "ewa@exa", "zamówienie", "zamowienie", "zamówieni", "ZAMÓWIENIE fv", "deliver",
                  "parcel yesterday"]:
        assert found(search(agent_client, query)) == {anna_chat.pk}, query
    assert found(search(agent_client, "zamówienie tomorrow")) == set()  # every word must match
    assert found(search(agent_client, "nonexistent")) == set()


@pytest.mark.postgresql("full-text search with the parley_search configuration")
def test_search_finds_only_chats_the_agent_may_see(agent_client, anna_chat, start_chat, colleague, queue):
    theirs = chat_assign(chat_id=start_chat(name="Ewa Theirs").pk, agent_id=colleague.pk)
    message_post(chat_id=theirs.pk, sender=Message.Sender.CLIENT, body="Moje zamówienie też zaginęło.")
    other_queue = factories.QueueFactory(name="Elsewhere")
    elsewhere = start_chat(name="Ewa Elsewhere", queue_obj=other_queue)
    waiting_here = start_chat(name="Ewa Waiting")  # a waiting chat of his queue: he may take it

    assert found(search(agent_client, "Ewa")) == {anna_chat.pk, waiting_here.pk}
    assert found(search(agent_client, "zamówienie")) == {anna_chat.pk}
    assert found(search(agent_client, "zaginęło")) == set()  # a colleague's chat
    assert elsewhere.pk not in found(search(agent_client, "Elsewhere"))  # a queue he is not in


def test_a_search_of_one_character_asks_for_more(agent_client, anna_chat):
    html = search(agent_client, "e")
    assert found(html) == set()
    assert "2" in html  # "Type at least 2 characters." (translated)


@pytest.fixture
def customer_with_earlier_chat(queue, colleague):
    customer = factories.CustomerFactory(name="Jan Nowak", email="jan@example.com")
    earlier = factories.ChatFactory(queue=queue, customer=customer, customer_verified=True, visitor_name="Jan Nowak",
                                    status=Chat.Status.ASSIGNED, agent=colleague)
    message_post(chat_id=earlier.pk, sender=Message.Sender.CLIENT, body="Reklamacja butów, rozmiar 42.")
    chat_close(chat_id=earlier.pk, reason=Chat.CloseReason.AGENT)
    return customer, earlier


def test_an_earlier_chat_of_the_customer_opens_read_only(agent_client, agent, queue, customer_with_earlier_chat):
    customer, earlier = customer_with_earlier_chat
    chat = factories.ChatFactory(queue=queue, customer=customer, customer_verified=True, visitor_name="Jan Nowak",
                                 visitor_email="jan@example.com", status=Chat.Status.ASSIGNED, agent=agent)
    url = reverse("inbox:history", args=[chat.pk, earlier.pk])
    assert url in agent_client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()  # the card links to it

    page = agent_client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Reklamacja butów, rozmiar 42." in html
    assert 'name="body"' not in html and "hx-post" not in html  # read-only: no reply box, no actions
    assert agent_client.get(reverse("inbox:chat", args=[earlier.pk])).status_code == 404  # not his chat otherwise


def test_an_earlier_chat_stays_closed_without_a_verified_identity(agent_client, agent, queue,
                                                                   customer_with_earlier_chat):
    customer, earlier = customer_with_earlier_chat
    claimed = factories.ChatFactory(queue=queue, customer=customer, customer_verified=False, agent=agent,
                                    visitor_email="jan@example.com", status=Chat.Status.ASSIGNED)
    unrelated = factories.ChatFactory(queue=queue, status=Chat.Status.ASSIGNED, agent=agent, customer_verified=True)

    assert agent_client.get(reverse("inbox:history", args=[claimed.pk, earlier.pk])).status_code == 404
    assert agent_client.get(reverse("inbox:history", args=[unrelated.pk, earlier.pk])).status_code == 404


def test_the_transcript_is_e_mailed_to_the_visitor(agent_client, anna_chat):
    answer = agent_client.post(reverse("inbox:transcript_send", args=[anna_chat.pk]), follow=True)

    assert answer.status_code == 200
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ewa@example.com"]
    assert "Gdzie jest moje zamówienie FV/2026/12?" in sent.body
    assert "The parcel was delivered yesterday." in sent.body
    assert "ewa@example.com" in answer.content.decode()  # "The transcript was sent to ewa@example.com."


def test_a_private_note_never_reaches_the_transcript(agent_client, agent, anna_chat):
    message_post(chat_id=anna_chat.pk, sender=Message.Sender.NOTE, body="VIP, be gentle: he complained twice.",
                 author=agent)

    agent_client.post(reverse("inbox:transcript_send", args=[anna_chat.pk]))

    assert "The parcel was delivered yesterday." in mail.outbox[0].body
    assert "be gentle" not in mail.outbox[0].body


def test_no_transcript_without_an_address_or_for_someone_elses_chat(agent_client, agent, start_chat, colleague):
    no_email = chat_assign(chat_id=start_chat(name="Anonymous").pk, agent_id=agent.pk)
    theirs = chat_assign(chat_id=start_chat(name="Theirs", email="t@example.com").pk, agent_id=colleague.pk)

    answer = agent_client.post(reverse("inbox:transcript_send", args=[no_email.pk]), follow=True)
    assert answer.status_code == 200 and mail.outbox == []
    page = agent_client.get(reverse("inbox:chat", args=[no_email.pk])).content.decode()
    assert 'data-testid="transcript-send"' not in page  # no address: no button
    assert agent_client.post(reverse("inbox:transcript_send", args=[theirs.pk])).status_code == 404
    assert mail.outbox == []
