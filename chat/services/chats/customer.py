"""The chat's link to its CRM customer: verified by whoever proved it, or confirmed by an agent; a new customer
created from the chat by its agent."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from agents.models import User
from chat.models import Chat, ChatEvent
from crm.services import customer_create

from ..dispatch import dispatch_soon
from ..errors import ChatError
from ..live.publish import live_chat
from ..permissions import check_confirm_customer, may_confirm_customer
from .common import closed_error, lock_chat


def chat_customer_verify(*, chat_id, via: str, actor: User | None = None) -> Chat:
    """Mark the chat's identity verified (``via``: a ``Chat.Verification``) with a CUSTOMER_VERIFIED event.

    The one writer of a verification after the start; the conditional update makes a second call
    (or two at once) a clear refusal with one event."""
    if via not in Chat.Verification.values or not via:
        raise ChatError(_("Unknown verification."), field="via", code="invalid")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if not Chat.objects.filter(pk=chat.pk, customer_verified=False).update(
            customer_verified=True, customer_verified_via=via
        ):
            raise ChatError(_("This chat's customer is already verified."), field="chat", code="already_verified")
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.CUSTOMER_VERIFIED, actor=actor, agent_id=chat.agent_id,
            queue_id=chat.queue_id, reason=via, data={"customer": chat.customer_id, "via": via},
        )
        waiting = chat.status == Chat.Status.WAITING
        live_chat(
            "chat.changed", chat_id=chat.pk, agents=[chat.agent_id], queues=[chat.queue_id if waiting else None],
            customer_verified=via,
        )
        if waiting:
            dispatch_soon(queue_id=chat.queue_id)  # a verified VIP may now go first
    chat.refresh_from_db()
    return chat


def chat_customer_confirm(*, chat_id, actor: User | None) -> Chat:
    """An agent confirms that the visitor is the CRM customer the chat is linked to (he checked it in the
    conversation): from now on the inbox shows the customer's details and earlier chats, and a VIP gets
    his priority. Only the agent handling the chat, or staff (``permissions``)."""
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status == Chat.Status.CLOSED:
            raise closed_error()
        check_confirm_customer(actor=actor, chat=chat)
        if chat.customer_id is None:
            raise ChatError(
                _("This chat is not linked to a customer in the CRM."), field="customer", code="no_customer"
            )
        return chat_customer_verify(chat_id=chat.pk, via=Chat.Verification.AGENT, actor=actor)


def may_create_customer(*, user, chat: Chat) -> bool:
    """Who adds a chat's visitor to the CRM from the inbox: the agent handling the (open) customer chat, or
    staff; only while the chat is linked to nobody (a claim is verified by "Confirm", not replaced)."""
    return chat.customer_id is None and may_confirm_customer(user=user, chat=chat)


def chat_customer_create(
    *, chat_id, actor: User | None, name: str = "", email: str = "", phone: str = "", owner_id=None,
    vip: bool = False,
) -> Chat:
    """A new CRM customer from the chat (the inbox's "Add to the CRM"), and the chat linked to him.

    The link is verified as the agent's statement (``Verification.AGENT``): he typed the details himself from
    the conversation, just as "Confirm" vouches for a typed e-mail; so the card shows the customer at once and
    the agent may edit him later (``chat.selectors.customers_visible_to``). Owner and VIP: staff only (the CRM
    service refuses them from an agent). A duplicate e-mail is refused (``crm.services.DuplicateEmail``)."""
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status == Chat.Status.CLOSED:
            raise closed_error()
        check_confirm_customer(actor=actor, chat=chat)
        if chat.customer_id is not None:
            raise ChatError(
                _("This chat is already linked to a customer in the CRM."), field="customer", code="linked"
            )
        customer = customer_create(name=name, email=email, phone=phone, owner_id=owner_id, vip=vip, actor=actor)
        Chat.objects.filter(pk=chat.pk).update(
            customer=customer, customer_verified=True, customer_verified_via=Chat.Verification.AGENT
        )
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.CUSTOMER_LINKED, actor=actor, agent_id=chat.agent_id,
            queue_id=chat.queue_id,
            data={"customer": customer.pk, "created": True, "verified": True, "via": Chat.Verification.AGENT},
        )
        live_chat("chat.changed", chat_id=chat.pk, agents=[chat.agent_id], queues=[None], customer_linked=customer.pk)
    chat.refresh_from_db()
    return chat
