import threading

import pytest
from django.db import connection

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_start
from tests.chat.api.fixtures import token_client


@pytest.mark.django_db(transaction=True)
def test_ten_agents_pressing_assign_at_once_one_gets_it_the_others_409(agent_factory, queue):
    agents = [agent_factory(username=f"racer{n}", queue=queue) for n in range(10)]
    clients = [token_client(agent) for agent in agents]
    chat = chat_start(channel="website", queue_id=queue.pk, visitor_name="Contested")
    barrier = threading.Barrier(len(clients))
    answers: list = []

    def press(client):
        try:
            barrier.wait(timeout=10)
            response = client.post(f"/api/v1/chats/{chat.pk}/assign/", {}, format="json")
            answers.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _code in answers) == [200] + [409] * 9
    assert {code for status, code in answers if status == 409} == {"taken"}
    assert Chat.objects.get(pk=chat.pk).status == "assigned"
    assert ChatEvent.objects.filter(chat=chat, kind="assigned").count() == 1
