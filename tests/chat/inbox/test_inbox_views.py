"""The agent inbox pages: thin views over the chat, presence and files services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agents.models import PauseType, Presence
from chat.models import Attachment, Chat, ChatSettings, Message
from chat.services.chats import chat_assign
from chat.services.files import attachment_create
from chat.services.messages import message_post
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_inbox_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get(reverse("inbox:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("inbox:login"))


def test_a_poll_after_the_session_ended_sends_the_page_to_the_login(client):
    response = client.get(reverse("inbox:live"), **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("inbox:login"))


def test_logging_in_through_the_inbox_makes_the_agent_available(client, agent):
    Presence.objects.filter(agent=agent).update(logged_in=False)
    response = client.post(reverse("inbox:login"), {"username": "anna", "password": "parley-test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:index")
    assert Presence.objects.get(agent=agent).logged_in is True


def test_logging_out_of_the_inbox_logs_the_agent_out_of_presence(agent_client, agent):
    response = agent_client.post(reverse("inbox:logout"))
    assert response.status_code == 302
    assert Presence.objects.get(agent=agent).logged_in is False
    assert agent_client.get(reverse("inbox:index")).status_code == 302


def test_my_chats_show_the_number_of_unread_client_messages(agent_client, my_chat):
    message_post(chat_id=my_chat.pk, sender=Message.Sender.CLIENT, body="one")
    message_post(chat_id=my_chat.pk, sender=Message.Sender.CLIENT, body="two")
    response = agent_client.get(reverse("inbox:index"))
    my_chats = response.context["sidebar_html"]
    assert 'data-testid="unread">2<' in my_chats


def test_opening_a_chat_marks_it_read(agent_client, my_chat):
    message_post(chat_id=my_chat.pk, sender=Message.Sender.CLIENT, body="hello")
    agent_client.get(reverse("inbox:chat", args=[my_chat.pk]))
    response = agent_client.get(reverse("inbox:index"))
    assert 'data-testid="unread"' not in response.context["sidebar_html"]


def test_the_waiting_list_shows_only_chats_of_the_agents_queues(agent_client, start_chat):
    mine = start_chat(name="In my queue")
    start_chat(name="Elsewhere", queue_obj=factories.QueueFactory(name="Other"))
    html = agent_client.get(reverse("inbox:index")).context["sidebar_html"]
    assert "In my queue" in html
    assert "Elsewhere" not in html
    assert f'data-chat-id="{mine.pk}"' in html


def test_the_waiting_list_follows_the_configured_chat_order(agent_client, start_chat):
    from chat.services.chats import chat_customer_verify
    from chat.services.settings import strategy_order_set

    plain = start_chat(name="Plain first")
    vip_customer = factories.CustomerFactory(email="vip@example.com", vip=True)
    vip = start_chat(name="VIP later", email=vip_customer.email)
    chat_customer_verify(chat_id=vip.pk, via="signed_email")  # a claimed VIP e-mail has no priority
    html = agent_client.get(reverse("inbox:index")).context["sidebar_html"]
    assert html.index(f'data-chat-id="{plain.pk}"') < html.index(f'data-chat-id="{vip.pk}"')
    strategy_order_set(kind="chat", codes=["vip", "longest_waiting", "shortest_waiting"])
    html = agent_client.get(reverse("inbox:index")).context["sidebar_html"]
    assert html.index(f'data-chat-id="{vip.pk}"') < html.index(f'data-chat-id="{plain.pk}"')


def test_a_chat_whose_automatic_assignment_stopped_has_an_assign_button(agent_client, start_chat):
    running = start_chat(name="Still routed")
    stopped = start_chat(name="Stopped")
    Chat.objects.filter(pk=stopped.pk).update(auto_assign_stopped_at=timezone.now())
    html = agent_client.get(reverse("inbox:index")).context["sidebar_html"]
    assert reverse("inbox:chat_assign", args=[stopped.pk]) in html
    assert reverse("inbox:chat_assign", args=[running.pk]) not in html


def test_assign_gives_the_stopped_chat_to_the_agent(agent_client, agent, start_chat):
    chat = start_chat()
    Chat.objects.filter(pk=chat.pk).update(auto_assign_stopped_at=timezone.now())
    response = agent_client.post(reverse("inbox:chat_assign", args=[chat.pk]), **HTMX)
    assert response["HX-Redirect"] == reverse("inbox:chat", args=[chat.pk])
    chat.refresh_from_db()
    assert (chat.status, chat.agent_id) == (Chat.Status.ASSIGNED, agent.pk)


def test_assign_of_a_chat_already_taken_tells_the_agent_so(agent_client, agent, colleague, start_chat):
    chat = start_chat()
    Chat.objects.filter(pk=chat.pk).update(auto_assign_stopped_at=timezone.now())
    chat_assign(chat_id=chat.pk, agent_id=colleague.pk)
    response = agent_client.post(reverse("inbox:chat_assign", args=[chat.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert [str(m) for m in response.context["messages"]] == ["This chat has already been taken by Bartek."]
    chat.refresh_from_db()
    assert chat.agent_id == colleague.pk


def test_assign_refused_is_shown_as_a_message_when_the_chat_is_still_visible(agent_client, agent, start_chat):
    chat = start_chat()
    Chat.objects.filter(pk=chat.pk).update(auto_assign_stopped_at=timezone.now())
    ChatSettings.objects.filter(pk=1).update(max_concurrent_chats=1)
    other = start_chat(name="Other", key="k" * 20)
    chat_assign(chat_id=other.pk, agent_id=agent.pk)
    response = agent_client.post(reverse("inbox:chat_assign", args=[chat.pk]), follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING


def test_a_chat_of_another_agent_answers_404(agent_client, colleague, start_chat):
    chat = start_chat()
    chat_assign(chat_id=chat.pk, agent_id=colleague.pk)
    assert agent_client.get(reverse("inbox:chat", args=[chat.pk])).status_code == 404
    assert agent_client.post(reverse("inbox:message_create", args=[chat.pk]), {"body": "x"}).status_code == 404


def test_a_waiting_chat_of_another_queue_answers_404(agent_client, start_chat):
    chat = start_chat(queue_obj=factories.QueueFactory(name="Other"))
    assert agent_client.get(reverse("inbox:chat", args=[chat.pk])).status_code == 404


def test_the_reply_box_posts_an_agent_message(agent_client, agent, my_chat):
    response = agent_client.post(reverse("inbox:message_create", args=[my_chat.pk]), {"body": "Dzień dobry"}, **HTMX)
    assert response.status_code == 204  # the page empties its reply box and fetches the message at once
    assert [name.strip() for name in response["HX-Trigger"].split(",")] == ["parley:poll", "parley:sent"]
    message = Message.objects.filter(chat=my_chat, sender=Message.Sender.AGENT).get()
    assert (message.body, message.author_id) == ("Dzień dobry", agent.pk)


def test_an_empty_reply_is_refused_in_the_form(agent_client, my_chat):
    response = agent_client.post(reverse("inbox:message_create", args=[my_chat.pk]), {"body": "   "}, **HTMX)
    assert "error" in response.content.decode()
    assert not Message.objects.filter(chat=my_chat, sender=Message.Sender.AGENT).exists()


def test_a_file_within_the_limit_is_attached_to_the_chat(agent_client, my_chat):
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 small", content_type="application/pdf")
    agent_client.post(reverse("inbox:file_upload", args=[my_chat.pk]), {"file": upload}, **HTMX)
    attachment = Attachment.objects.get(message__chat=my_chat)
    assert attachment.original_name == "offer.pdf"
    assert attachment.message.sender == Message.Sender.AGENT


def test_a_file_over_the_limit_shows_the_error_and_stores_nothing(agent_client, my_chat, settings):
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    upload = SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1))
    response = agent_client.post(reverse("inbox:file_upload", args=[my_chat.pk]), {"file": upload}, **HTMX)
    assert "1 MB" in response.content.decode()
    assert 'data-testid="upload-error"' in response.content.decode()
    assert not Attachment.objects.exists()
    assert not Message.objects.filter(chat=my_chat).exclude(sender=Message.Sender.SYSTEM).exists()
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def _attachment(chat, *, name="a.html", content=b"<script>alert(1)</script>"):
    return attachment_create(uploaded_file=SimpleUploadedFile(name, content, content_type="text/html"),
                             chat_id=chat.pk, sender=Message.Sender.CLIENT)


def test_a_download_is_an_attachment_that_the_browser_does_not_sniff(agent_client, my_chat):
    attachment = _attachment(my_chat)
    response = agent_client.get(reverse("inbox:file_download", args=[attachment.token]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


def test_a_download_from_a_chat_the_agent_cannot_see_answers_404(client, colleague, my_chat):
    attachment = _attachment(my_chat)
    client.force_login(colleague)
    assert client.get(reverse("inbox:file_download", args=[attachment.token])).status_code == 404


def test_a_download_after_its_hours_answers_410_gone(agent_client, my_chat, time_machine):
    attachment = _attachment(my_chat)
    time_machine.move_to(attachment.expires_at + timedelta(seconds=1))
    response = agent_client.get(reverse("inbox:file_download", args=[attachment.token]))
    assert response.status_code == 410


def test_close_ends_the_chat(agent_client, my_chat):
    agent_client.post(reverse("inbox:chat_close", args=[my_chat.pk]), **HTMX)
    my_chat.refresh_from_db()
    assert (my_chat.status, my_chat.close_reason) == (Chat.Status.CLOSED, Chat.CloseReason.AGENT)


def test_transfer_to_a_colleague_gives_him_the_chat(agent_client, colleague, my_chat):
    response = agent_client.post(reverse("inbox:chat_transfer", args=[my_chat.pk]),
                                 {"target": f"agent:{colleague.pk}"}, **HTMX)
    assert response["HX-Redirect"] == reverse("inbox:index")
    my_chat.refresh_from_db()
    assert my_chat.agent_id == colleague.pk


def test_transfer_to_a_queue_puts_the_chat_back_in_it(agent_client, my_chat):
    other = factories.QueueFactory(name="Support")
    agent_client.post(reverse("inbox:chat_transfer", args=[my_chat.pk]), {"target": f"queue:{other.pk}"}, **HTMX)
    my_chat.refresh_from_db()
    assert (my_chat.status, my_chat.queue_id) == (Chat.Status.WAITING, other.pk)


def test_the_presence_bar_puts_the_agent_on_a_pause_and_back(agent_client, agent):
    pause = PauseType.objects.get(code="break")
    agent_client.post(reverse("inbox:presence"), {"action": "pause", "pause_type": pause.pk}, **HTMX)
    assert Presence.objects.get(agent=agent).pause_type_id == pause.pk
    agent_client.post(reverse("inbox:presence"), {"action": "available"}, **HTMX)
    assert Presence.objects.get(agent=agent).pause_type_id is None


def test_the_presence_bar_shows_a_phone_call_set_by_the_pbx(agent_client, agent):
    from agents.services import presence_set_phone_call

    presence_set_phone_call(agent_id=agent.pk, on_call=True)
    response = agent_client.get(reverse("inbox:index"))
    assert 'data-testid="phone-call"' in response.context["presence_html"]


def test_an_internal_chat_is_visible_to_both_colleagues_only(agent_client, agent, colleague, agent_factory, client):
    response = agent_client.post(reverse("inbox:internal_start"), {"peer": colleague.pk})
    chat = Chat.objects.get(channel=Chat.Channel.INTERNAL)
    assert response["Location"] == reverse("inbox:chat", args=[chat.pk])
    agent_client.post(reverse("inbox:message_create", args=[chat.pk]), {"body": "Masz chwilę?"}, **HTMX)
    client.force_login(colleague)
    html = client.get(reverse("inbox:index")).context["sidebar_html"]
    assert 'data-testid="unread">1<' in html
    assert client.get(reverse("inbox:chat", args=[chat.pk])).status_code == 200
    client.force_login(agent_factory(username="celina"))
    assert client.get(reverse("inbox:chat", args=[chat.pk])).status_code == 404


def test_starting_an_internal_chat_with_a_colleague_again_opens_the_open_one(agent_client, colleague):
    first = agent_client.post(reverse("inbox:internal_start"), {"peer": colleague.pk})
    second = agent_client.post(reverse("inbox:internal_start"), {"peer": colleague.pk})
    chat = Chat.objects.get(channel=Chat.Channel.INTERNAL)
    assert first["Location"] == second["Location"] == reverse("inbox:chat", args=[chat.pk])


def test_the_sidebar_poll_answers_204_while_nothing_changes(agent_client, start_chat):
    first = agent_client.get(reverse("inbox:live"), **HTMX)
    version = first.content.decode().split('data-version="')[1].split('"')[0]
    assert agent_client.get(reverse("inbox:live"), {"v": version}, **HTMX).status_code == 204
    start_chat(name="Newcomer")
    changed = agent_client.get(reverse("inbox:live"), {"v": version}, **HTMX)
    assert changed.status_code == 200
    assert "Newcomer" in changed.content.decode()


def test_the_chat_poll_returns_only_new_messages(agent_client, my_chat):
    first = message_post(chat_id=my_chat.pk, sender=Message.Sender.CLIENT, body="first")
    page = agent_client.get(reverse("inbox:chat", args=[my_chat.pk]))
    state = page.context["chat_state"]
    assert agent_client.get(reverse("inbox:chat_poll", args=[my_chat.pk]),
                            {"after": first.pk, "s": state}, **HTMX).status_code == 204
    message_post(chat_id=my_chat.pk, sender=Message.Sender.CLIENT, body="second")
    response = agent_client.get(reverse("inbox:chat_poll", args=[my_chat.pk]), {"after": first.pk, "s": state}, **HTMX)
    html = response.content.decode()
    assert "second" in html and "first" not in html


def test_the_chat_poll_sends_the_agent_away_when_the_chat_is_no_longer_his(agent_client, colleague, my_chat):
    from chat.services.chats import chat_transfer

    chat_transfer(chat_id=my_chat.pk, to_agent_id=colleague.pk)
    response = agent_client.get(reverse("inbox:chat_poll", args=[my_chat.pk]), {"after": 0}, **HTMX)
    assert response["HX-Redirect"] == reverse("inbox:index")


def test_the_customer_card_adds_to_the_crm_in_place_prefilled_not_in_the_admin(agent_client, start_chat, agent):
    chat = start_chat(name="Jan Nowak", email="jan@example.com")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    response = agent_client.get(reverse("inbox:chat", args=[chat.pk]))
    assert response.context["crm_url"] == ""
    assert response.context["customer_form"].initial == {"name": "Jan Nowak", "email": "jan@example.com"}


def test_the_customer_card_shows_earlier_chats_and_opens_the_customer_once_confirmed(agent_client, agent,
                                                                                   start_chat):
    customer = factories.CustomerFactory(email="known@example.com")
    earlier = start_chat(email="known@example.com", key="a" * 20)
    from chat.services.chats import chat_close

    chat_close(chat_id=earlier.pk, reason=Chat.CloseReason.AGENT)
    chat = start_chat(email="known@example.com", key="b" * 20)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    response = agent_client.get(reverse("inbox:chat", args=[chat.pk]))
    assert (response.context["history"], response.context["crm_url"]) == ([], "")  # a typed e-mail is a claim
    agent_client.post(reverse("inbox:chat_confirm_customer", args=[chat.pk]), **HTMX)
    response = agent_client.get(reverse("inbox:chat", args=[chat.pk]))
    assert [c.pk for c in response.context["history"]] == [earlier.pk]
    assert response.context["can_edit_customer"] is True
    assert response.context["customer_form"].initial["email"] == customer.email


def test_the_inbox_renders_in_english_and_in_polish(agent_client, my_chat):
    for lang in ("en", "pl"):
        response = agent_client.get(reverse("inbox:chat", args=[my_chat.pk]), HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in response.content.decode()



def test_a_messenger_reply_that_could_not_be_delivered_is_marked_on_the_chat(agent_client, agent, queue):
    from chat.services.chats import chat_start

    chat = chat_start(channel=Chat.Channel.MESSENGER, queue_id=queue.pk, visitor_messenger_id="psid-77")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    Message.objects.create(chat=chat, sender=Message.Sender.AGENT, author=agent, body="Hello",
                                   delivery_status=Message.Delivery.FAILED, delivery_error="Graph API said 500")
    html = agent_client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="undelivered"' in html
    assert "Not delivered: Graph API said 500" in html


def test_the_chat_page_links_a_file_only_through_its_checked_download_view(agent_client, my_chat):
    """Issue 11, point 9: no page links to the storage's own address (/media/…)."""
    attachment = _attachment(my_chat, name="offer.pdf", content=b"%PDF")
    html = agent_client.get(reverse("inbox:chat", args=[my_chat.pk])).content.decode()
    assert f'href="{reverse("inbox:file_download", args=[attachment.token])}"' in html
    assert "/media/" not in html
    assert attachment.file.name not in html


def test_the_root_url_sends_agents_to_the_inbox_and_a_logged_out_visitor_to_its_login(client, agent):
    response = client.get("/", follow=True)
    assert response.redirect_chain[0][0] == reverse("inbox:index")
    assert response.request["PATH_INFO"] == reverse("inbox:login")
    client.force_login(agent)
    assert client.get("/")["Location"] == reverse("inbox:index")
    assert client.get(reverse("inbox:index")).status_code == 200
def test_the_built_in_pause_types_read_in_polish_in_the_polish_inbox(agent_client):
    """Issue 14, point 8: "wrap-up" and "callback progress" were the English words in the Polish pause menu."""
    page = agent_client.get("/inbox/").content.decode()
    assert 'lang="pl"' in page
    for polish in ("po rozmowie", "administracyjna", "przerwa", "zad. służbowe", "oddzwanianie"):
        assert f">{polish}</button>" in page
    assert "wrap-up" not in page.lower() and "callback progress" not in page.lower()
