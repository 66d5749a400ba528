"""Which waiting chat goes first: the chat order (parameter 11).

Each key is a small registered class (its code and label declared in ``chat.models.strategies``) that
contributes ``ORDER BY`` terms; the configured keys are compared lexicographically, the chat id last, so the
order is total and repeatable. The default order (longest waiting, VIP, shortest waiting) is plain FIFO;
moving VIP first serves VIPs first, FIFO among them. A chat counts as a VIP's only when its customer link is
verified (``Chat.customer_verified``).

Each key speaks SQL (``sql``, over ``c``, the chat, and ``cu``, its customer: dispatch) and the ORM
(``order_by()``: the inbox's waiting list); tests/chat/routing/test_chat_order.py checks that both order
the same chats the same way. An unknown code raises ``UnknownStrategy``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import BooleanField, Case, F, OrderBy, Value, When
from psycopg import sql

from chat.models.strategies import ChatOrderCode

from .registry import Registry

CHAT_ORDER_REGISTRY = Registry("chat order", ChatOrderCode)
chat_order_key = CHAT_ORDER_REGISTRY.register


class ChatOrderKey:
    code: str = ""
    label = ""
    sql: str = ""  # the same terms as ``order_by()``, as SQL over ``c``/``cu``

    def order_by(self) -> list[OrderBy]:
        raise NotImplementedError


@chat_order_key(ChatOrderCode.LONGEST_WAITING)
class LongestWaiting(ChatOrderKey):
    sql = "c.queued_at ASC NULLS LAST"

    def order_by(self):
        return [F("queued_at").asc(nulls_last=True)]


@chat_order_key(ChatOrderCode.VIP)
class VipFirst(ChatOrderKey):
    """A VIP counts only through a verified link: an e-mail typed into the widget is a claim, and claiming
    a VIP's e-mail must not jump the queue (SPEC.md, "An e-mail typed into the widget is a claim")."""

    sql = "(c.customer_verified AND COALESCE(cu.vip, FALSE)) DESC"

    def order_by(self):
        return [
            Case(
                When(customer_verified=True, customer__vip=True, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ).desc()
        ]


@chat_order_key(ChatOrderCode.SHORTEST_WAITING)
class ShortestWaiting(ChatOrderKey):
    sql = "c.queued_at DESC NULLS LAST"

    def order_by(self):
        return [F("queued_at").desc(nulls_last=True)]


CHAT_ORDER_REGISTRY.check_complete()


def chat_order_by(codes: Iterable[str]) -> list[OrderBy]:
    """ORDER BY terms for the configured keys, id last."""
    return [term for key in CHAT_ORDER_REGISTRY.steps(codes) for term in key.order_by()] + [F("id").asc()]


def chat_order_sql(codes: Iterable[str]) -> sql.Composable:
    """``chat_order_by`` as SQL over ``c``/``cu``, id last."""
    return sql.SQL(", ").join([sql.SQL(key.sql) for key in CHAT_ORDER_REGISTRY.steps(codes)] + [sql.SQL("c.id ASC")])
