"""Satisfaction ratings (issue 17, point 3): ``chat_rate`` stores a visitor's rating of a closed chat once, refuses
everything else with a clear error and writes nothing then; ``rating_prompts_add`` puts the rating question in the
Messenger outbox of chats that have just closed (docs/ratings.md)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone, translation

from chat.models import Chat, ChatEvent, ChatSettings, Message
from chat.models.conditions import RATEABLE
from chat.selectors import chat_timeline
from chat.services.chats import chat_close, chat_start
from chat.services.errors import ChatError
from chat.services.messages import message_post
from chat.services.ratings import RATING_QUESTION, chat_rate, rating_quick_replies
from chat.services.rules import chats_close_inactive
from tests import factories
from tests.polling import poll_until

from .chat_helpers import english
from .test_conditions import _same_rows

pytestmark = pytest.mark.django_db


def closed_chat(queue, *, channel="website", **extra) -> Chat:
    chat = chat_start(channel=channel, queue_id=queue.pk, visitor_name="Zofia", **extra)
    return chat_close(chat_id=chat.pk, reason=Chat.CloseReason.CLIENT)


def nothing_written(chat: Chat) -> None:
    chat.refresh_from_db()
    assert (chat.rating, chat.rating_comment, chat.rated_at) == (None, "", None)
    assert not ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.RATED).exists()


def card(**fields):
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(**fields)


def test_a_closed_website_chat_takes_a_rating_with_a_comment_and_an_event(queue):
    chat = closed_chat(queue)

    rated = chat_rate(chat_id=chat.pk, score=4, comment="  Quick and helpful.  ", via="widget")

    assert (rated.rating, rated.rating_comment) == (4, "Quick and helpful.")
    assert rated.rated_at is not None
    event = ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.RATED)
    assert event.data == {"score": 4, "comment": "Quick and helpful.", "via": "widget"}
    assert (event.queue_id, event.created_at) == (queue.pk, rated.rated_at)


def test_the_timeline_says_the_score_and_the_comment_in_plain_words(queue):
    chat = closed_chat(queue)
    chat_rate(chat_id=chat.pk, score=4, comment="Quick and helpful.", via="widget")
    other = closed_chat(queue, visitor_key="k" * 20)
    chat_rate(chat_id=other.pk, score=2, via="widget")

    with translation.override("en"):
        assert chat_timeline(chat=chat)[-1].text == "Rated 4 of 5 by the client: “Quick and helpful.”"
        assert chat_timeline(chat=other)[-1].text == "Rated 2 of 5 by the client."
        assert chat_timeline(chat=other)[-1].kind_label == "Rated by the client"


def test_a_second_rating_is_refused_and_changes_nothing(queue):
    chat = closed_chat(queue)
    chat_rate(chat_id=chat.pk, score=5, comment="first", via="widget")

    with pytest.raises(ChatError) as refused:
        chat_rate(chat_id=chat.pk, score=1, comment="second", via="widget")

    assert refused.value.code == "already_rated"
    assert english(refused.value) == "This conversation has already been rated."
    chat.refresh_from_db()
    assert (chat.rating, chat.rating_comment) == (5, "first")
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.RATED).count() == 1


@pytest.mark.parametrize("score", [0, 6, -1, 10, "abc", "", None, True, 4.5, "4.0", [4], "123"])
def test_a_score_that_is_not_a_whole_number_from_1_to_5_is_refused(queue, score):
    chat = closed_chat(queue)

    with pytest.raises(ChatError) as refused:
        chat_rate(chat_id=chat.pk, score=score, via="widget")

    assert refused.value.field == "score"
    assert refused.value.code in {"invalid", "out_of_range"}
    assert "1" in english(refused.value) and "5" in english(refused.value)
    nothing_written(chat)


def test_a_score_given_as_digits_is_taken(queue):
    chat = closed_chat(queue)
    assert chat_rate(chat_id=chat.pk, score="3", via="widget").rating == 3


def test_a_comment_over_1000_characters_is_refused_and_1000_are_kept(queue):
    chat = closed_chat(queue)
    with pytest.raises(ChatError) as refused:
        chat_rate(chat_id=chat.pk, score=3, comment="x" * 1001, via="widget")
    assert (refused.value.field, refused.value.code) == ("comment", "too_long")
    assert english(refused.value) == "The comment is too long (at most 1000 characters)."
    nothing_written(chat)

    assert chat_rate(chat_id=chat.pk, score=3, comment="ż" * 1000, via="widget").rating_comment == "ż" * 1000


def test_nul_bytes_are_removed_from_the_comment(queue):
    chat = closed_chat(queue)
    assert chat_rate(chat_id=chat.pk, score=3, comment="ok\x00!", via="widget").rating_comment == "ok!"


@pytest.mark.parametrize("status", ["waiting", "assigned"])
def test_an_open_chat_cannot_be_rated(queue, agent_factory, status):
    chat = chat_start(channel="website", queue_id=queue.pk)
    if status == "assigned":
        agent = agent_factory(queue=queue)
        Chat.objects.filter(pk=chat.pk).update(status="assigned", agent=agent)

    with pytest.raises(ChatError) as refused:
        chat_rate(chat_id=chat.pk, score=5, via="widget")

    assert refused.value.code == "not_closed"
    assert english(refused.value) == "The conversation can be rated once it has ended."
    nothing_written(chat)


def test_an_internal_chat_cannot_be_rated(agent_factory):
    one, other = agent_factory(), agent_factory()
    chat = chat_start(channel="internal", initiator_id=one.pk, peer_id=other.pk)
    chat_close(chat_id=chat.pk, reason="agent", actor=one)

    for via in ("widget", "messenger"):
        with pytest.raises(ChatError) as refused:
            chat_rate(chat_id=chat.pk, score=5, via=via)
        assert (refused.value.code, english(refused.value)) == ("internal", "Internal chats are not rated.")
    nothing_written(chat)


def test_a_chat_is_rated_only_through_its_own_channel(queue):
    website = closed_chat(queue)
    messenger = closed_chat(queue, channel="messenger", visitor_messenger_id="PSID-1")

    for chat, via in ((website, "messenger"), (messenger, "widget")):
        with pytest.raises(ChatError) as refused:
            chat_rate(chat_id=chat.pk, score=5, via=via)
        assert refused.value.code == "wrong_channel"
        nothing_written(chat)
    with pytest.raises(ChatError):
        chat_rate(chat_id=website.pk, score=5, via="api")
    nothing_written(website)


@pytest.mark.parametrize("chat_id", [999_999, "abc", None])
def test_no_such_chat(db, chat_id):
    with pytest.raises(ChatError) as refused:
        chat_rate(chat_id=chat_id, score=5, via="widget")
    assert (refused.value.code, refused.value.field) == ("not_found", "chat")


def test_with_the_survey_switched_off_nothing_is_rated(queue):
    chat = closed_chat(queue)
    card(rating_survey_enabled=False)

    with pytest.raises(ChatError) as refused:
        chat_rate(chat_id=chat.pk, score=5, via="widget")

    assert (refused.value.code, english(refused.value)) == ("ratings_off", "Ratings are switched off.")
    nothing_written(chat)


def test_the_database_refuses_a_score_out_of_range_or_on_an_open_chat(queue):
    closed, still_open = closed_chat(queue), chat_start(channel="website", queue_id=queue.pk, visitor_key="o" * 20)
    now = timezone.now()
    for chat, score in ((closed, 6), (closed, 0), (still_open, 3)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Chat.objects.filter(pk=chat.pk).update(rating=score, rated_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Chat.objects.filter(pk=closed.pk).update(rating=3)  # no time
    Chat.objects.filter(pk=closed.pk).update(rating=5, rated_at=now)


def test_rateable_is_a_closed_customer_chat_without_a_rating_in_the_orm_sql_and_python():
    made = {}
    now = timezone.now()
    for status in Chat.Status.values:
        for channel in Chat.Channel.values:
            for rated in (False, True):
                if rated and (status != "closed" or channel == "internal"):
                    continue  # the database allows no such row
                made[status, channel, rated] = factories.ChatFactory(
                    status=status, channel=channel, closed_at=now if status == "closed" else None,
                    agent=factories.UserFactory() if status == "assigned" else None,
                    rating=4 if rated else None, rated_at=now if rated else None,
                )
    assert _same_rows(Chat, RATEABLE) == {
        c.pk for (status, channel, rated), c in made.items()
        if status == "closed" and channel != "internal" and not rated
    }


@pytest.mark.postgresql("a rating holds the chat's row lock while a second one waits for it")
@pytest.mark.django_db(transaction=True)
def test_of_two_ratings_at_the_same_moment_exactly_one_is_stored(queue):
    """The first rating holds its row lock until it commits; the second waits for it in PostgreSQL, then finds the
    rating set and is refused. A check-then-write service would let both through."""
    chat = closed_chat(queue)
    held, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                chat_rate(chat_id=chat.pk, score=5, comment="first", via="widget")
                held.set()
                release.wait(timeout=30)
            outcomes["first"] = "stored"
        finally:
            connections.close_all()

    def second():
        try:
            chat_rate(chat_id=chat.pk, score=1, comment="second", via="widget")
            outcomes["second"] = "stored"
        except ChatError as exc:
            outcomes["second"] = exc
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert held.wait(timeout=30)
    two = threading.Thread(target=second)
    two.start()

    def second_waits_for_the_lock() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            return cursor.fetchone()[0] > 0

    poll_until(second_waits_for_the_lock, message="the second rating to wait for the first one's row lock")
    release.set()
    one.join(timeout=30)
    two.join(timeout=30)

    assert outcomes["first"] == "stored"
    assert isinstance(outcomes["second"], ChatError) and outcomes["second"].code == "already_rated"
    chat.refresh_from_db()
    assert (chat.rating, chat.rating_comment) == (5, "first")
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.RATED).count() == 1


# --- the Messenger question ----------------------------------------------------------------------------------


def messenger_chat(queue, sender="PSID-1") -> Chat:
    chat = chat_start(channel="messenger", queue_id=queue.pk, visitor_messenger_id=sender)
    message_post(chat_id=chat.pk, sender="client", body="Hello")
    return chat


def prompts(chat) -> list[Message]:
    return list(Message.objects.filter(chat=chat, quick_replies__isnull=False))


def test_closing_a_messenger_chat_puts_the_rating_question_in_the_outbox(queue):
    chat = messenger_chat(queue)

    chat_close(chat_id=chat.pk, reason="agent")

    (prompt,) = prompts(chat)
    assert prompt.sender == "system"
    assert prompt.delivery_status == Message.Delivery.PENDING
    with translation.override("pl"):
        assert prompt.body == str(RATING_QUESTION)  # the site's language, as every system message
    assert prompt.quick_replies == [{"title": str(n), "payload": f"RATE:{chat.pk}:{n}"} for n in range(1, 6)]
    assert prompt.quick_replies == rating_quick_replies(chat.pk)
    closing = Message.objects.filter(chat=chat, sender="system").order_by("id").first()
    assert closing.pk < prompt.pk  # after the closing line


def test_no_question_for_a_website_chat_or_with_the_survey_off(queue):
    website = closed_chat(queue)
    assert not prompts(website)
    card(rating_survey_enabled=False)
    chat = messenger_chat(queue)
    chat_close(chat_id=chat.pk, reason="agent")
    assert not prompts(chat)


def test_no_question_when_the_customer_wrote_last_more_than_24_hours_ago(queue, time_machine):
    chat = messenger_chat(queue)
    time_machine.move_to(timezone.now() + timedelta(hours=24, seconds=1))
    chat_close(chat_id=chat.pk, reason="agent")
    assert not prompts(chat)


def test_the_inactivity_rule_asks_as_chat_close_does(queue, time_machine):
    card(inactivity_timeout_messenger=3600)
    asked, late = messenger_chat(queue, "PSID-1"), messenger_chat(queue, "PSID-2")
    Chat.objects.filter(pk=late.pk).update(last_client_message_at=timezone.now() - timedelta(hours=30))
    website = chat_start(channel="website", queue_id=queue.pk, visitor_key="w" * 20)
    Chat.objects.filter(pk=website.pk).update(page_closed_at=timezone.now())
    time_machine.move_to(timezone.now() + timedelta(hours=2))

    assert chats_close_inactive() == 3

    assert [m.quick_replies for m in prompts(asked)] == [rating_quick_replies(asked.pk)]
    assert prompts(late) == [] and prompts(website) == []
    assert Chat.objects.get(pk=asked.pk).status == "closed"
