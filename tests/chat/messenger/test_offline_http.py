"""Messenger outside business hours, the whole path over real HTTP (issue 17, point 2): Meta's signed events to the
webhook of a live server, the replies to a real HTTP stand-in for the Send API, the release rule's Celery task at
the opening, dispatch, and the agent reading the chat through the REST API. time-machine freezes the clock of every
thread (the server's too); the commit hooks run as in production (eager Celery stands for the worker)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from agents.models import ApiToken
from chat.messenger.signature import sign
from chat.models import Chat, ChatEvent, Message
from chat.tasks import release_held_chats
from tests.chat.messenger.conftest import event
from tests.chat.messenger.offline_fixtures import (
    FRIDAY_NIGHT,
    MONDAY_OPENING,
    SATURDAY,
    office_hours,
    replies,
    texts,
)

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_PL = "Teraz jesteśmy nieczynni; odpowiemy w poniedziałek od 08:00."


def http(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def meta_posts(server_url: str, payload: dict, *, signature: str | None = None) -> tuple[int, object]:
    """What Meta does: the event's exact bytes, signed with the app secret (unless ``signature`` says otherwise)."""
    raw = json.dumps(payload).encode()
    return http("POST", f"{server_url}/webhooks/messenger", body=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature or sign(raw),
    })


@pytest.fixture
def worker(settings, eager_celery, graph):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # dispatch after commit, in the process that committed
    return eager_celery


def test_outside_hours_one_reply_the_chat_waits_and_is_routed_at_the_opening(
    live_server, queue, agent, graph, worker, time_machine
):
    office_hours(queue)  # Monday to Friday, 08:00–16:00, Europe/Warsaw
    time_machine.move_to(FRIDAY_NIGHT, tick=False)

    assert meta_posts(live_server.url, event(sender="PSID-1", mid="m_1", text="Hello?")) == (
        200, {"stored": 1, "skipped": 0}
    )
    chat = Chat.objects.get()
    # Anna is available and a member of the queue, and still nobody gets the chat: it waits, held, for Monday.
    assert (chat.status, chat.agent_id, chat.hours_held_at) == ("waiting", None, FRIDAY_NIGHT)
    assert texts(graph) == [CLOSED_PL]
    assert graph.requests[0]["json"]["recipient"] == {"id": "PSID-1"}

    time_machine.move_to(SATURDAY, tick=False)  # the same closed period: stored, no second reply
    assert meta_posts(live_server.url, event(sender="PSID-1", mid="m_2", text="Anyone?"))[0] == 200
    # Meta delivers the first event again: one message, one reply.
    assert meta_posts(live_server.url, event(sender="PSID-1", mid="m_1", text="Hello?"))[0] == 200
    # A forged event is refused and changes nothing.
    forged = meta_posts(live_server.url, event(sender="PSID-1", mid="m_3"), signature="sha256=" + "0" * 64)
    assert forged == (403, {"detail": "Missing or invalid X-Hub-Signature-256."})
    assert list(Message.objects.filter(sender="client").values_list("external_id", flat=True)) == ["m_1", "m_2"]
    assert len(graph.requests) == 1
    assert Chat.objects.get().status == "waiting"

    time_machine.move_to(MONDAY_OPENING, tick=False)
    assert release_held_chats.delay().get() == 1  # the rule's task, as beat runs it every 30 s

    chat.refresh_from_db()
    assert (chat.status, chat.agent_id, chat.hours_held_at, chat.queued_at) == (
        "assigned", agent.pk, None, MONDAY_OPENING
    )
    kinds = list(ChatEvent.objects.filter(chat=chat).order_by("created_at", "id").values_list("kind", flat=True))
    assert [k for k in kinds if k in ("held_for_hours", "offline_reply_sent", "released", "assigned")] == [
        "held_for_hours", "offline_reply_sent", "released", "assigned",
    ]
    assert len(replies(chat)) == 1

    # The agent reads what the customer was told, in the chat, over the REST API.
    _token, key = ApiToken.objects.create(user=agent)
    status, messages = http("GET", f"{live_server.url}/api/v1/chats/{chat.pk}/messages/",
                            headers={"Authorization": f"Token {key}"})
    assert status == 200
    assert [(m["sender"], m["body"]) for m in messages] == [
        ("client", "Hello?"), ("system", CLOSED_PL), ("client", "Anyone?"),
    ]
    assert len(graph.requests) == 1  # nothing else went to the customer (no place in the queue, no second reply)
