"""``chats/{id}/messages/``: a chat's messages, the agent's reply, and sending a Messenger reply again."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.api.examples import CLOSED_EXAMPLE
from chat.api.selectors import chat_get_for, chat_messages
from chat.api.serializers import MessageOutput
from chat.messenger.outbox import message_delivery_retry
from chat.models import Message
from chat.services.messages import message_post
from core.bodies import ParleyJSONParser
from core.rest.pagination import max_page_size
from core.rest.serializers import ErrorOutput


class ChatMessagesApi(APIView):
    parser_classes = [ParleyJSONParser, FormParser]

    class FilterSerializer(serializers.Serializer):
        since = serializers.IntegerField(min_value=0, required=False, default=0,
                                         help_text="Only messages with a larger id.")
        limit = serializers.IntegerField(
            min_value=1, required=False,
            help_text="At most this many messages, oldest first (default and ceiling: API_MAX_PAGE_SIZE, 200). "
                      "A full answer may have more after it: ask again with since=<the last id>.",
        )

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=10000)
        internal_note = serializers.BooleanField(
            required=False, default=False,
            help_text="true: a private note for the agents (sender \"note\"): never sent to the visitor, not "
                      "a reply for the no-reply rule or the inactivity clocks. Not on internal chats.",
        )

    @extend_schema(tags=["chats"], operation_id="chats_messages_list", parameters=[FilterSerializer],
                   responses=MessageOutput(many=True))
    def get(self, request, chat_id: int):
        chat = chat_get_for(user=request.user, chat_id=chat_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        limit = min(filters.validated_data.get("limit") or max_page_size(), max_page_size())
        messages = chat_messages(chat=chat, since=filters.validated_data["since"])[:limit]
        return Response(MessageOutput(messages, many=True).data)

    @extend_schema(
        tags=["chats"],
        operation_id="chats_messages_post",
        summary="Post the agent's message (Messenger chats: sent through the Send API) or a private note",
        request=InputSerializer,
        responses={201: MessageOutput, 400: ErrorOutput, 409: ErrorOutput},
        examples=[OpenApiExample("Reply", value={"body": "Good morning, how can I help?"}, request_only=True),
                  OpenApiExample("Private note", value={"body": "VIP, offer free shipping.", "internal_note": True},
                                 request_only=True),
                  CLOSED_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        chat = chat_get_for(user=request.user, chat_id=chat_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sender = Message.Sender.NOTE if data.validated_data["internal_note"] else Message.Sender.AGENT
        message = message_post(chat_id=chat.pk, sender=sender, author_id=request.user.pk,
                               body=data.validated_data["body"])
        message = Message.objects.prefetch_related("attachments").get(pk=message.pk)
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED)


class ChatMessageResendApi(APIView):
    @extend_schema(
        tags=["chats"],
        operation_id="chats_messages_resend",
        summary="Send a Messenger reply again (its delivery is unknown or failed)",
        description=(
            "`unknown`: the Send API may have delivered it (it was sent and no answer came back); sending it "
            "again may show it to the client twice, which is why it is never done automatically. `failed`: Graph "
            "refused it or could not be reached after the retries. The reply goes back to `pending` and is "
            "queued; the chat's history records who sent it again."
        ),
        request=None,
        responses={200: MessageOutput, 400: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput},
        examples=[OpenApiExample(
            "Not waiting to be sent again",
            value={"message": ["This reply is not waiting to be sent again."], "code": "conflict"},
            response_only=True, status_codes=["409"],
        ), CLOSED_EXAMPLE],
    )
    def post(self, request, chat_id: int, message_id: int):
        chat = chat_get_for(user=request.user, chat_id=chat_id)
        if not chat.messages.filter(pk=message_id).exists():
            raise NotFound("No such message.")
        message_delivery_retry(message_id=message_id, actor=request.user)
        return Response(MessageOutput(Message.objects.prefetch_related("attachments").get(pk=message_id)).data)
