"""Which waiting chat goes first: the chat order (parameter 11).

Each key is a small registered class that contributes ``ORDER BY`` terms; the
configured keys are compared lexicographically, the chat id last, so the order is
total and repeatable. The default order (longest waiting, VIP, shortest waiting)
is plain FIFO; moving VIP first serves VIPs first, FIFO among them. A chat counts as
a VIP's only when its customer link is verified (``Chat.customer_verified``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import BooleanField, Case, F, OrderBy, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

CHAT_ORDER_REGISTRY: dict[str, type[ChatOrderKey]] = {}


def chat_order_key(code: str, *, label):
    """Class decorator: register a chat-order key under its stable code."""

    def register(cls):
        cls.code = code
        cls.label = label
        CHAT_ORDER_REGISTRY[code] = cls
        return cls

    return register


class ChatOrderKey:
    code: str = ""
    label = ""

    def order_by(self) -> list[OrderBy]:
        raise NotImplementedError

    # The same terms as SQL over ``c`` (the chat) and ``cu`` (its customer), for dispatch's hot path.
    sql: str = ""


@chat_order_key("longest_waiting", label=_("Longest waiting in the queue"))
class LongestWaiting(ChatOrderKey):
    sql = "c.queued_at ASC NULLS LAST"

    def order_by(self):
        return [F("queued_at").asc(nulls_last=True)]


@chat_order_key("vip", label=_("VIP client"))
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


@chat_order_key("shortest_waiting", label=_("Shortest waiting in the queue"))
class ShortestWaiting(ChatOrderKey):
    sql = "c.queued_at DESC NULLS LAST"

    def order_by(self):
        return [F("queued_at").desc(nulls_last=True)]


def chat_order_by(codes: Iterable[str]) -> list[OrderBy]:
    """ORDER BY terms for the configured keys; unknown codes are ignored; id last."""
    terms: list = []
    for code in codes:
        key = CHAT_ORDER_REGISTRY.get(code)
        if key is not None:
            terms.extend(key().order_by())
    terms.append(F("id").asc())
    return terms


def chat_order_sql(codes: Iterable[str]) -> str:
    """``ORDER BY`` terms of ``chat_order_by`` as SQL over ``c``/``cu``; id last."""
    terms = [CHAT_ORDER_REGISTRY[code].sql for code in codes if code in CHAT_ORDER_REGISTRY]
    return ", ".join([*terms, "c.id ASC"])


def order_chats(qs: QuerySet, codes: Iterable[str]) -> QuerySet:
    return qs.order_by(*chat_order_by(codes))
