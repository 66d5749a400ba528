"""A handful of hand-built chats, each through the real services at a controlled time (time_machine), whose
figures are worked out by hand in the tests (SPEC.md "Figures").

Europe/Warsaw is UTC+1 on 10 March 2026. All chats in queue "Sales" (target 60 s), website unless said:

1. 09:00 answered: assigned +10 s, agent's message +40 s (first response 30 s, 40 s after queueing: within
   target), closed +300 s (handling 290 s); disposition "Order"; agent Anna.
2. 09:30 answered late and transferred: assigned +30 s to Anna, message +100 s (first response 70 s; 100 s after
   queueing: not within target), transferred to Bartek +200 s, closed +630 s (handling 600 s). Messenger.
3. 10:00 missed: assigned +50 s to Bartek, closed +200 s with no agent message (handling 150 s).
4. 10:15 abandoned: the visitor leaves after 20 s, never assigned.
5. 10:20 still waiting.
6. 10:30 internal chat between Anna and Bartek, with a message: counted nowhere.
7. 23:30 abandoned (22:30 UTC, 10 March).
8. 00:30 on 11 March abandoned (23:30 UTC on 10 March: the 11th in the site's time zone).

Ratings (issue 17): chat 1 rated 5, chat 2 rated 4, chat 3 rated 3, chat 4 rated 1 (after they closed); the others
are not rated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chat.models import Chat, Disposition
from chat.services.chats import chat_assign, chat_close, chat_start, chat_transfer
from chat.services.messages import message_post
from chat.services.ratings import chat_rate
from tests import factories

WARSAW = ZoneInfo("Europe/Warsaw")


def at(day: int, hour: int, minute: int, seconds: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=WARSAW) + timedelta(seconds=seconds)


@pytest.fixture
def figures_data(db, settings):
    settings.TIME_ZONE = "Europe/Warsaw"
    sales = factories.QueueFactory(name="Sales", answer_target_seconds=60)
    anna = factories.UserFactory(username="anna", first_name="Anna", last_name="Kowalska")
    bartek = factories.UserFactory(username="bartek", first_name="Bartek", last_name="Nowak")
    for agent in (anna, bartek):
        factories.PresenceFactory(agent=agent, logged_in=True)
    order = Disposition.objects.create(name="Order")

    def travel(moment):
        return time_machine.travel(moment, tick=False)

    def start(moment, channel=Chat.Channel.WEBSITE):
        with travel(moment):
            return chat_start(channel=channel, queue_id=sales.pk, visitor_name="Jan",
                              visitor_messenger_id="psid-1" if channel == Chat.Channel.MESSENGER else "")

    # 1. answered within target
    t = at(10, 9, 0)
    chat = start(t)
    with travel(t + timedelta(seconds=10)):
        chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    with travel(t + timedelta(seconds=40)):
        message_post(chat_id=chat.pk, sender="agent", body="Hello", author_id=anna.pk)
    with travel(t + timedelta(seconds=300)):
        chat_close(chat_id=chat.pk, reason=Chat.CloseReason.AGENT, disposition_id=order.pk)
    with travel(t + timedelta(seconds=360)):
        chat_rate(chat_id=chat.pk, score=5, via="widget")
    # 2. answered late, transferred
    t = at(10, 9, 30)
    chat = start(t, Chat.Channel.MESSENGER)
    with travel(t + timedelta(seconds=30)):
        chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    with travel(t + timedelta(seconds=100)):
        message_post(chat_id=chat.pk, sender="agent", body="Hello", author_id=anna.pk)
    with travel(t + timedelta(seconds=200)):
        chat_transfer(chat_id=chat.pk, to_agent_id=bartek.pk)
    with travel(t + timedelta(seconds=630)):
        chat_close(chat_id=chat.pk, reason=Chat.CloseReason.AGENT)
    with travel(t + timedelta(seconds=640)):
        chat_rate(chat_id=chat.pk, score=4, via="messenger")
    # 3. missed
    t = at(10, 10, 0)
    chat = start(t)
    with travel(t + timedelta(seconds=50)):
        chat_assign(chat_id=chat.pk, agent_id=bartek.pk)
    with travel(t + timedelta(seconds=200)):
        chat_close(chat_id=chat.pk, reason=Chat.CloseReason.INACTIVITY)
    with travel(t + timedelta(seconds=210)):
        chat_rate(chat_id=chat.pk, score=3, via="widget")
    # 4. abandoned
    t = at(10, 10, 15)
    chat = start(t)
    with travel(t + timedelta(seconds=20)):
        chat_close(chat_id=chat.pk, reason=Chat.CloseReason.CLIENT)
        chat_rate(chat_id=chat.pk, score=1, comment="Nobody answered.", via="widget")
    # 5. still waiting
    start(at(10, 10, 20))
    # 6. internal
    with travel(at(10, 10, 30)):
        internal = chat_start(channel=Chat.Channel.INTERNAL, initiator_id=anna.pk, peer_id=bartek.pk)
        message_post(chat_id=internal.pk, sender="agent", body="Lunch?", author_id=anna.pk)
    # 7., 8. abandoned around midnight
    for t in (at(10, 23, 30), at(11, 0, 30)):
        chat = start(t)
        with travel(t + timedelta(seconds=5)):
            chat_close(chat_id=chat.pk, reason=Chat.CloseReason.CLIENT)
    return {"sales": sales, "anna": anna, "bartek": bartek, "order": order}
