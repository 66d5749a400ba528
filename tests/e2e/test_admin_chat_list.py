"""The admin's chat list fits a 1366x768 laptop (issue 14, point 8), in Polish, with long names."""

from __future__ import annotations

import pytest

from chat.models import Chat
from chat.services.chats import chat_assign, chat_start
from crm.models import Customer
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHATS = "/admin/chat/chat/"


def test_the_chat_list_has_no_horizontal_overflow_at_1366_px(live_server, new_context, admin_user, agent_factory):
    queue = factories.QueueFactory(name="Obsługa klienta indywidualnego i biznesowego")
    agent = agent_factory(queue=queue, username="bartłomiej.wiśniewski-kowalczyk")
    Customer.objects.create(name="Przedsiębiorstwo Handlowo-Usługowe Jan Kowalski i Synowie", email="kontakt@x.pl")
    for n in range(3):
        chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_email="kontakt@x.pl",
                          visitor_name=f"Aleksandra Konstantynopolitańczykiewiczówna {n}", visitor_key=str(n) * 20)
        chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    page = new_context(viewport={"width": 1366, "height": 768}, locale="pl-PL").new_page()
    page.goto(f"{live_server.url}/admin/login/?next={CHATS}")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "parley-test")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{CHATS}")
    assert page.locator("#result_list tbody tr").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert page.evaluate("document.querySelector('#changelist .results').scrollWidth") <= page.evaluate(
        "document.querySelector('#changelist .results').clientWidth"
    )
