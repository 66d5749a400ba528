"""Satisfaction ratings (issue 17, point 3; docs/ratings.md): the visitor rates a closed chat once, 1 to 5.

``chat_rate`` stores the rating with one conditional ``UPDATE`` (``RATEABLE``: closed, a customer chat, not rated
yet), so of two ratings at once exactly one is stored; the other, and every later one, is refused with a clear
error (``ChatError``, code ``already_rated``) and writes nothing. The widget API and the Messenger webhook call it.

``rating_prompts_add`` puts the rating question, with Messenger's quick replies "1" … "5", in the outbox of
Messenger chats that have just closed (``chat_close`` and the inactivity rule call it in their transaction).
The widget asks by itself once it sees its chat closed (``WidgetChatOutput.rating_open``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, ChatEvent, ChatSettings, Message
from chat.models.chats import RATING_COMMENT_MAX, RATING_MAX, RATING_MIN
from chat.models.conditions import RATEABLE

from .errors import ChatError
from .live.publish import live_chat, live_message
from .texts import system_text

# Who rated, and the one channel each way in may rate: the widget its website chats, Messenger its own.
VIA_CHANNEL = {"widget": Chat.Channel.WEBSITE, "messenger": Chat.Channel.MESSENGER}

# Messenger lets a page answer a customer within 24 hours of his last message ("standard messaging"); a question
# sent later would be refused by the Send API, so it is not sent (docs/ratings.md).
MESSENGER_WINDOW = timedelta(hours=24)
# The payload of a quick reply to the rating question: RATE:<chat id>:<score>.
RATING_PAYLOAD_PREFIX = "RATE:"

RATING_QUESTION = _("How would you rate this conversation? Choose from 1 (very poor) to 5 (excellent).")
RATING_THANKS = _("Thank you for your rating!")


def rating_score_clean(score) -> int:
    """The score as an int from RATING_MIN to RATING_MAX (an int, or a string of digits), else ChatError."""
    if isinstance(score, bool) or score is None:
        value = None
    elif isinstance(score, int):
        value = score
    elif isinstance(score, str) and score.strip().isdigit() and len(score.strip()) <= 2:
        value = int(score.strip())
    else:
        value = None
    if value is None:
        raise ChatError(
            _("Give the rating as a whole number from %(min)d to %(max)d."), field="score", code="invalid",
            params={"min": RATING_MIN, "max": RATING_MAX},
        )
    if not RATING_MIN <= value <= RATING_MAX:
        raise ChatError(
            _("The rating must be from %(min)d to %(max)d."), field="score", code="out_of_range",
            params={"min": RATING_MIN, "max": RATING_MAX},
        )
    return value


def rating_comment_clean(comment) -> str:
    """The comment without surrounding spaces and NUL bytes (PostgreSQL keeps none); at most RATING_COMMENT_MAX."""
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise ChatError(_("The comment must be text."), field="comment", code="invalid")
    comment = comment.replace("\x00", "").strip()
    if len(comment) > RATING_COMMENT_MAX:
        raise ChatError(
            _("The comment is too long (at most %(limit)d characters)."), field="comment", code="too_long",
            params={"limit": RATING_COMMENT_MAX},
        )
    return comment


def chat_rate(*, chat_id, score, comment: str = "", via: str, now: datetime | None = None) -> Chat:
    """Store the visitor's rating of a closed chat, once.

    ``via``: "widget" (a website chat) or "messenger" (a Messenger chat). The way in has already checked that
    the caller is the chat's visitor (the visitor token, the signed sender id). Refused with ``ChatError``,
    nothing written: a score that is not a whole number from 1 to 5 (``score``), a comment over 1,000 characters
    (``comment``), the survey switched off on the card (``ratings_off``), no such chat (``not_found``), an
    internal chat (``internal``), a chat of another channel (``wrong_channel``), a chat still open
    (``not_closed``), a chat already rated (``already_rated``). One ``rated`` event with the score, the comment
    and the way; the agents' pages hear ``chat.changed`` after commit."""
    score = rating_score_clean(score)
    comment = rating_comment_clean(comment)
    if via not in VIA_CHANNEL:
        raise ChatError(_("Unknown way of rating."), field="via", code="invalid")
    try:
        chat_id = int(chat_id)
    except (TypeError, ValueError):
        raise ChatError(_("There is no such chat."), field="chat", code="not_found") from None
    if not ChatSettings.load().rating_survey_enabled:
        raise ChatError(_("Ratings are switched off."), code="ratings_off")
    now = now or timezone.now()
    with transaction.atomic():
        # The guard: of two ratings at once the database lets one through (the second waits for the first's row
        # lock, then finds the rating set and updates nothing).
        rated = Chat.objects.filter(RATEABLE.q(), pk=chat_id, channel=VIA_CHANNEL[via]).update(
            rating=score, rating_comment=comment, rated_at=now
        )
        chat = Chat.objects.filter(pk=chat_id).first()
        if not rated:
            raise _refusal(chat, via)
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.RATED, created_at=now, agent_id=chat.agent_id, queue_id=chat.queue_id,
            data={"score": score, "comment": comment, "via": via},
        )
        live_chat("chat.changed", chat_id=chat.pk, agents=[chat.agent_id], rating=score)
    return chat


def _refusal(chat: Chat | None, via: str) -> ChatError:
    """Why a chat could not be rated (read after the guard refused it)."""
    if chat is None:
        return ChatError(_("There is no such chat."), field="chat", code="not_found")
    if chat.channel == Chat.Channel.INTERNAL:
        return ChatError(_("Internal chats are not rated."), field="chat", code="internal")
    if chat.channel != VIA_CHANNEL[via]:
        return ChatError(_("This chat cannot be rated this way."), field="chat", code="wrong_channel")
    if chat.status != Chat.Status.CLOSED:
        return ChatError(_("The conversation can be rated once it has ended."), code="not_closed")
    return ChatError(_("This conversation has already been rated."), code="already_rated")


def rating_quick_replies(chat_id: int) -> list[dict]:
    """Messenger's quick replies of the rating question: "1" … "5", each with its payload RATE:<chat>:<score>."""
    return [
        {"title": str(score), "payload": f"{RATING_PAYLOAD_PREFIX}{int(chat_id)}:{score}"}
        for score in range(RATING_MIN, RATING_MAX + 1)
    ]


def rating_prompts_add(
    *, chats: Iterable[tuple[int, datetime | None]], now: datetime, card: ChatSettings | None = None
) -> list[Message]:
    """The rating question for Messenger chats that have just closed, in the caller's transaction.

    ``chats``: (chat id, the client's last message) of closed Messenger chats. When the card's survey is on,
    each chat whose client wrote within Messenger's 24-hour window gets a system message in the site's language
    with the quick replies "1" … "5", pending in the Messenger outbox and queued after commit (the hook
    ``messenger_reply_stored``, as an agent's reply). A chat closed later than that (the default inactivity limit
    of a Messenger chat is a week) is not asked: the Send API would refuse the message."""
    chats = list(chats)
    if not chats:
        return []
    card = card or ChatSettings.load()
    if not card.rating_survey_enabled:
        return []
    due = [chat_id for chat_id, last in chats if last is not None and last > now - MESSENGER_WINDOW]
    if not due:
        return []
    text = system_text(RATING_QUESTION)
    prompts = Message.objects.bulk_create([
        Message(
            chat_id=chat_id, sender=Message.Sender.SYSTEM, body=text, created_at=now,
            delivery_status=Message.Delivery.PENDING, delivery_next_attempt_at=now, delivery_queued_at=now,
            quick_replies=rating_quick_replies(chat_id),
        )
        for chat_id in due
    ])
    from .messages import messenger_reply_stored  # messages imports the chats package, which imports this module

    for prompt in prompts:
        live_message(chat_id=prompt.chat_id, message_id=prompt.pk, sender=prompt.sender)
        transaction.on_commit(partial(messenger_reply_stored, message_id=prompt.pk))
    return prompts
