"""The visitor's place in the queue and the estimated wait (issue 15, point 6; docs/routing.md, "The visitor's
place in the queue")."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext
from psycopg import sql

from chat.models import (
    Chat,
    ChatEvent,
    ChatStrategyStep,
)
from chat.models.conditions import DISPATCHABLE_CHAT
from chat.routing.chat_order import chat_order_sql
from crm.models import Customer

# The assignments counted for a queue's pace, and the estimate's formula: ``position × WINDOW / assignments``.
WAIT_ESTIMATE_WINDOW = timedelta(minutes=30)

_POSITIONS = sql.SQL("""\
SELECT r.id, r.position FROM (
    SELECT c.id, row_number() OVER (PARTITION BY c.queue_id ORDER BY {chat_order}) AS position
    FROM {chat} c LEFT JOIN {customer} cu ON cu.id = c.customer_id
    WHERE {dispatchable} AND c.queue_id IS NOT NULL{queues}
) r{chats}""")


def chat_order_codes() -> list[str]:
    """The configured chat order (parameter 11), as dispatch reads it: by position, then id."""
    return list(ChatStrategyStep.objects.order_by("order", "id").values_list("code", flat=True))


def queue_positions(*, queue_id=None, chat_ids=None, chat_codes=None) -> dict[int, int]:
    """The 1-based place of each waiting chat in its queue, in the order dispatch serves them: ``{chat id: place}``.

    Only the chats dispatch would consider (``DISPATCHABLE_CHAT``: waiting, automatic assignment not stopped, a
    customer's chat) are ranked, each queue on its own, by the configured chat order (``chat_order_sql``, the
    statement dispatch picks its candidates with, id last). A chat whose automatic assignment stopped has no place
    (it is absent from the answer): no dispatch will serve it, it waits for a person's "Assign"; nor does it take a
    place ahead of anybody. ``queue_id`` limits the answer to one queue, ``chat_ids`` to those chats (each still
    ranked among every waiting chat of its queue); neither: every waiting chat. One statement with a window
    function over the waiting chats' partial index (``chat_waiting_queue_idx``); ``chat_codes``, the chat order
    when the caller has it already, saves the read of the order."""
    params: list = []
    queues, chats = sql.SQL(""), sql.SQL("")
    if chat_ids is not None:
        chat_ids = [int(pk) for pk in chat_ids]
        if not chat_ids:
            return {}
        marks = sql.SQL(", ").join([sql.SQL("%s")] * len(chat_ids))
        queues = sql.SQL(" AND c.queue_id IN (SELECT k.queue_id FROM {chat} k WHERE k.id IN ({marks}))").format(
            chat=sql.Identifier(Chat._meta.db_table), marks=marks
        )
        chats = sql.SQL(" WHERE r.id IN ({marks})").format(marks=marks)
        params += chat_ids
    if queue_id is not None:
        queues = queues + sql.SQL(" AND c.queue_id = %s")
        params.append(int(queue_id))
    if chat_ids is not None:
        params += chat_ids
    codes = list(chat_codes) if chat_codes is not None else chat_order_codes()
    statement = _POSITIONS.format(
        chat_order=chat_order_sql(codes),
        chat=sql.Identifier(Chat._meta.db_table),
        customer=sql.Identifier(Customer._meta.db_table),
        dispatchable=DISPATCHABLE_CHAT.sql("c"),
        queues=queues,
        chats=chats,
    ).as_string()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return {int(pk): int(position) for pk, position in cursor.fetchall()}


def queue_assignments_recent(*, queue_id, now=None) -> int:
    """The queue's assignments (ASSIGNED events: dispatch's and people's) in the ``WAIT_ESTIMATE_WINDOW`` before
    ``now``: its recent pace (``chat_event_kind_idx``)."""
    now = now or timezone.now()
    return ChatEvent.objects.filter(
        kind=ChatEvent.Kind.ASSIGNED, queue_id=queue_id, created_at__gt=now - WAIT_ESTIMATE_WINDOW,
        created_at__lte=now,
    ).count()


def queue_assignments_recent_by_queue(*, queue_ids=None, now=None) -> dict[int, int]:
    """``queue_assignments_recent`` for many queues in one query (``{queue id: n}``, queues with none left out):
    what a page that shows many waiting chats passes to ``queue_wait_estimate(assignments=…)``."""
    now = now or timezone.now()
    events = ChatEvent.objects.filter(
        kind=ChatEvent.Kind.ASSIGNED, queue_id__isnull=False, created_at__gt=now - WAIT_ESTIMATE_WINDOW,
        created_at__lte=now,
    )
    if queue_ids is not None:
        events = events.filter(queue_id__in=list(queue_ids))
    rows = events.order_by().values_list("queue_id").annotate(n=Count("id"))
    return {int(queue_id): int(n) for queue_id, n in rows}


def queue_wait_estimate(*, queue_id, position, now=None, assignments: int | None = None) -> timedelta | None:
    """How long the chat at ``position`` in ``queue_id`` may still wait, from the queue's recent assignment rate:
    ``position × WINDOW / n``, n the queue's assignments in the last ``WAIT_ESTIMATE_WINDOW`` (30 minutes) — the
    time the queue took, lately, to serve ``position`` chats. None when it assigned none in that window (no pace to
    go by: the visitor is told "we will answer as soon as possible") or for no position. ``assignments``: n, when
    the caller counted it already (one count per queue for many chats)."""
    if not position or position < 1:
        return None
    if assignments is None:
        assignments = queue_assignments_recent(queue_id=queue_id, now=now)
    if assignments <= 0:
        return None
    return WAIT_ESTIMATE_WINDOW * position / assignments


@dataclass(frozen=True)
class QueuePlace:
    """A waiting chat's place: its position (1 = next), the estimate (None: no recent pace) and the sentence."""

    position: int
    estimate: timedelta | None

    @property
    def wait_seconds(self) -> int | None:
        return None if self.estimate is None else int(self.estimate.total_seconds())

    @property
    def minutes(self) -> int | None:
        """The estimate as the visitor reads it: whole minutes, rounded up, at least one."""
        return None if self.estimate is None else max(1, math.ceil(self.estimate.total_seconds() / 60))

    @property
    def text(self) -> str:
        """"You are 3rd in line, about 2 minutes." in the active language."""
        return queue_place_text(position=self.position, minutes=self.minutes)


def chat_queue_place(*, chat_id, now=None) -> QueuePlace | None:
    """The place of the waiting chat ``chat_id`` (None when it is not waiting, or not served by dispatch: see
    ``queue_positions``). Three queries: the chat order, the positions, the queue's pace."""
    row = Chat.objects.filter(pk=chat_id, status=Chat.Status.WAITING).values_list("queue_id", flat=True).first()
    if row is None:
        return None
    position = queue_positions(chat_ids=[chat_id]).get(int(chat_id))
    if position is None:
        return None
    return QueuePlace(position=position, estimate=queue_wait_estimate(queue_id=row, position=position, now=now))


def ordinal(n: int) -> str:
    """``n`` as an ordinal of the active language: 2nd, 3rd, 11th in English; 2., 3., 11. in Polish (the
    contexts and msgids of Django's humanize)."""
    if n % 100 in (11, 12, 13):
        template = pgettext("ordinal 11, 12, 13", "{}th")
    else:
        template = {
            1: pgettext("ordinal 1", "{}st"),
            2: pgettext("ordinal 2", "{}nd"),
            3: pgettext("ordinal 3", "{}rd"),
        }.get(n % 10) or pgettext("ordinal 0", "{}th")
    return template.format(n)


def queue_place_text(*, position: int, minutes: int | None) -> str:
    """The sentence the visitor reads while he waits, in the active language: "You are next, about 1 minute.",
    "You are 3rd in line, about 2 minutes.", and without an estimate "You are 3rd in line. We will answer as soon
    as possible." (the widget, and once as text on Messenger)."""
    if position == 1:
        if minutes is None:
            return gettext("You are next in line. We will answer as soon as possible.")
        return ngettext(
            "You are next in line, about %(minutes)d minute.", "You are next in line, about %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    if minutes is None:
        return gettext("You are %(ordinal)s in line. We will answer as soon as possible.") % {
            "ordinal": ordinal(position)
        }
    return ngettext(
        "You are %(ordinal)s in line, about %(minutes)d minute.",
        "You are %(ordinal)s in line, about %(minutes)d minutes.",
        minutes,
    ) % {"ordinal": ordinal(position), "minutes": minutes}
