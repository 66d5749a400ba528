"""Who may do what to a chat: each rule written once (a customer's owner and VIP flag: crm.services).

The services check these with their ``actor`` (under the chat's row lock, so a
chat that changed hands meanwhile is judged as it is now); the inbox uses the same
functions to decide which buttons to show. ``actor=None`` is the system itself
(timed rules, the widget, the Messenger webhook, management commands), which the
services trust. Which chats a user may *see* is ``chat.selectors.chats_visible_to``;
a chat he may see but not act on answers 403 (``code: "forbidden"``), one he may
not see 404. docs/decisions.md, "Authorization", explains the choices.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from chat.models import Chat

from .errors import ChatError

FORBIDDEN = "forbidden"

# Close reasons a person may record. "client", "inactivity" and "system" are written only by the
# widget, the timed rules and the system (actor None).
AGENT_CLOSE_REASONS = (Chat.CloseReason.AGENT,)
STAFF_CLOSE_REASONS = (Chat.CloseReason.AGENT, Chat.CloseReason.ADMIN)


def is_staff(user) -> bool:
    return bool(user is not None and user.is_staff)


def _handles(user, chat: Chat) -> bool:
    """The agent is handling this customer chat right now."""
    return chat.channel != Chat.Channel.INTERNAL and chat.status == Chat.Status.ASSIGNED and chat.agent_id == user.pk


def may_assign_to(*, user, agent_id) -> bool:
    """Staff assign a chat to anyone; an agent takes it himself (the "Assign" button)."""
    return is_staff(user) or str(agent_id) == str(user.pk)


def may_transfer(*, user, chat: Chat) -> bool:
    """Staff: any chat. An agent: only the customer chat assigned to him (not a waiting one of his queue)."""
    return is_staff(user) or _handles(user, chat)


def may_close(*, user, chat: Chat) -> bool:
    """Staff: any chat. An agent: the customer chat assigned to him and the internal chats he is part of.
    A waiting chat is assigned first (so the close names who handled it)."""
    if is_staff(user):
        return True
    if chat.channel == Chat.Channel.INTERNAL:
        return user.pk in (chat.agent_id, chat.initiator_id)
    return _handles(user, chat)


def close_reasons_for(user) -> tuple[str, ...]:
    return STAFF_CLOSE_REASONS if is_staff(user) else AGENT_CLOSE_REASONS


def default_close_reason(*, user, chat: Chat) -> str:
    """The reason a close from the inbox records: "agent" when the user handles the chat (or is part of the
    internal chat), "admin" when staff close somebody else's."""
    if chat.channel == Chat.Channel.INTERNAL:
        own = user.pk in (chat.agent_id, chat.initiator_id)
    else:
        own = _handles(user, chat)
    return Chat.CloseReason.ADMIN if is_staff(user) and not own else Chat.CloseReason.AGENT


def may_confirm_customer(*, user, chat: Chat) -> bool:
    """The agent talking to the visitor (the chat assigned to him) or staff, on an open customer chat."""
    if chat.channel == Chat.Channel.INTERNAL or chat.status == Chat.Status.CLOSED:
        return False
    return is_staff(user) or _handles(user, chat)


def may_supervise(*, user) -> bool:
    """The supervisor's actions (chat.services.supervision): staff only, and always a person (never the system)."""
    return is_staff(user)


def check_supervise(*, actor) -> None:
    if not may_supervise(user=actor):
        raise ChatError(_("Only a supervisor (staff) can do this."), code=FORBIDDEN)


def check_assign(*, actor, agent_id) -> None:
    if actor is not None and not may_assign_to(user=actor, agent_id=agent_id):
        raise ChatError(_("Only staff can assign a chat to someone else."), field="agent", code=FORBIDDEN)


def check_transfer(*, actor, chat: Chat) -> None:
    if actor is not None and not may_transfer(user=actor, chat=chat):
        raise ChatError(
            _("Only the agent handling this chat, or staff, can transfer it."), field="chat", code=FORBIDDEN
        )


def check_close(*, actor, chat: Chat, reason: str) -> None:
    if actor is None:
        return
    if reason not in close_reasons_for(actor):
        raise ChatError(
            _("You cannot close a chat with the reason “%(reason)s”."),
            field="reason",
            code=FORBIDDEN,
            # The reason's label, translated when the message is rendered (it is lazy).
            params={"reason": Chat.CloseReason(reason).label if reason in Chat.CloseReason.values else reason},
        )
    if not may_close(user=actor, chat=chat):
        raise ChatError(
            _("Only the agent handling this chat, or staff, can close it."), field="chat", code=FORBIDDEN
        )


def check_confirm_customer(*, actor, chat: Chat) -> None:
    if actor is not None and not may_confirm_customer(user=actor, chat=chat):
        raise ChatError(
            _("Only the agent handling this chat, or staff, can confirm its customer."), field="chat",
            code=FORBIDDEN,
        )
