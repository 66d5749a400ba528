"""Reads of the REST API: what a user may see. A chat outside
``chats_visible_to(user)`` answers 404, as if it did not exist."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from rest_framework.exceptions import NotFound

from chat.models import Attachment, Chat, Message
from chat.selectors import chats_assignable_by, chats_visible_to


def chat_list(*, user, filters: dict) -> QuerySet[Chat]:
    chats = chats_visible_to(user=user)
    for name in ("status", "channel"):
        if filters.get(name):
            chats = chats.filter(**{name: filters[name]})
    for name in ("queue", "agent", "customer"):
        if filters.get(name):
            chats = chats.filter(**{f"{name}_id": filters[name]})
    return chats.annotate(
        delivery_failures=Count("messages", filter=Q(messages__delivery_status=Message.Delivery.FAILED))
    ).order_by("-created_at", "-id")


def chat_get_for(*, user, chat_id: int) -> Chat:
    chat = chats_visible_to(user=user).filter(pk=chat_id).first()
    if chat is None:
        raise NotFound("No such chat.")
    return chat


def chat_get_assignable_for(*, user, chat_id: int) -> Chat:
    chat = chats_assignable_by(user=user).filter(pk=chat_id).first()
    if chat is None:
        raise NotFound("No such chat.")
    return chat


def chat_messages(*, chat: Chat, since: int = 0) -> QuerySet[Message]:
    return chat.messages.filter(id__gt=since).prefetch_related("attachments").order_by("id")


def attachment_get_for(*, user, attachment_id: int) -> Attachment:
    visible = chats_visible_to(user=user)
    attachment = (
        Attachment.objects.select_related("message").filter(pk=attachment_id, message__chat__in=visible).first()
    )
    if attachment is None:
        raise NotFound("No such attachment.")
    return attachment
