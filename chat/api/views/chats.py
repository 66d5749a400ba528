"""``chats/``: list, start and read chats, and their actions (assign, transfer, close, confirm the customer);
``customers/{id}/chats/``: a customer's chats."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import ACTIVE_AGENT, User
from chat.api.examples import CLOSED_EXAMPLE, ERROR_EXAMPLE, FORBIDDEN_EXAMPLE, TAKEN_EXAMPLE
from chat.api.selectors import chat_get_assignable_for, chat_get_for, chat_list
from chat.api.serializers import ChatDetailOutput, ChatOutput, DispositionOutput, TimelineEntryOutput
from chat.models import Chat, Queue
from chat.selectors import chat_timeline, dispositions_active
from chat.services.chats import chat_assign, chat_close, chat_customer_confirm, chat_start, chat_transfer
from core.rest.serializers import ErrorOutput
from crm.api.selectors import customer_get_for


class ChatListApi(GenericAPIView):
    serializer_class = ChatOutput

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Chat.Status.choices, required=False)
        channel = serializers.ChoiceField(choices=Chat.Channel.choices, required=False)
        queue = serializers.IntegerField(min_value=1, required=False)
        agent = serializers.IntegerField(min_value=1, required=False)
        customer = serializers.IntegerField(min_value=1, required=False)

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(choices=Chat.Channel.choices)
        queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False, allow_null=True)
        visitor_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        visitor_email = serializers.EmailField(required=False, allow_blank=True, default="")
        visitor_messenger_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        page_url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
        peer = serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(ACTIVE_AGENT.q()), required=False, allow_null=True,
            help_text="Internal chats: the colleague to talk to (you are the initiator).",
        )
        customer_verified = serializers.BooleanField(
            required=False, default=False,
            help_text="Staff only (403 otherwise): you vouch that the visitor is the owner of this e-mail or "
                      "Messenger id (e.g. a portal whose users are logged in). Without it the link to the CRM "
                      "customer is a claim.",
        )

    @extend_schema(
        tags=["chats"],
        operation_id="chats_list",
        parameters=[FilterSerializer],
        responses=ChatOutput(many=True),
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(chat_list(user=request.user, filters=filters.validated_data))
        return self.get_paginated_response(ChatOutput(page, many=True).data)

    @extend_schema(
        tags=["chats"],
        operation_id="chats_start",
        summary="Start a chat: website/messenger into a queue, or an internal chat with a colleague",
        description="An internal chat with a colleague while one between you two is open answers that one "
                    "(200) instead of starting a second (201).",
        request=InputSerializer,
        responses={201: ChatOutput, 200: ChatOutput, 400: ErrorOutput, 403: ErrorOutput},
        examples=[
            OpenApiExample("Internal chat", value={"channel": "internal", "peer": 3}, request_only=True),
            OpenApiExample("Website chat", request_only=True,
                           value={"channel": "website", "queue": 1, "visitor_name": "Anna",
                                  "visitor_email": "anna@example.com"}),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        channel = values["channel"]
        kwargs = {
            "channel": channel,
            "queue_id": values["queue"].pk if values.get("queue") else None,
            "visitor_name": values["visitor_name"],
            "visitor_email": values["visitor_email"],
            "visitor_messenger_id": values["visitor_messenger_id"],
            "page_url": values["page_url"],
            "verified_via": Chat.Verification.INTEGRATION if values["customer_verified"] else "",
            "actor": request.user,
        }
        if channel == Chat.Channel.INTERNAL:
            kwargs = {"channel": channel, "initiator_id": request.user.pk,
                      "peer_id": values["peer"].pk if values.get("peer") else None}
        chat = chat_start(**kwargs)
        created = getattr(chat, "created", True)
        return Response(ChatOutput(chat_get_for(user=request.user, chat_id=chat.pk)).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ChatDetailApi(APIView):
    @extend_schema(tags=["chats"], operation_id="chats_get", responses={200: ChatDetailOutput, 404: ErrorOutput})
    def get(self, request, chat_id: int):
        return Response(ChatDetailOutput(chat_get_for(user=request.user, chat_id=chat_id)).data)


# drf-spectacular shows a list answer's example as a list of the one entry given here.
EVENTS_EXAMPLES = [
    OpenApiExample(
        "Assigned: why this agent",
        response_only=True,
        value={
            "id": 12, "at": "2026-03-02T10:00:01+01:00", "kind": "assigned", "kind_label": "Assigned",
            "text": "Assigned to Anna Nowak: a higher priority in Sales than Jan Kowalski.", "actor": None,
            "actor_name": "", "agent": 2, "agent_name": "Anna Nowak", "from_agent": None, "from_agent_name": "",
            "queue": 1, "queue_name": "Sales", "strategy": "queue_priority",
            "strategy_label": "Agent priority in queue", "runner_up": 3, "runner_up_name": "Jan Kowalski",
            "reason": "", "note": "",
        },
    ),
    OpenApiExample(
        "Transferred with a note",
        response_only=True,
        value={
            "id": 13, "at": "2026-03-02T10:04:00+01:00", "kind": "transferred", "kind_label": "Transferred",
            "text": "Transferred from Anna Nowak to Jan Kowalski. Note: Wants a refund, order 1234.", "actor": 2,
            "actor_name": "Anna Nowak", "agent": 3, "agent_name": "Jan Kowalski", "from_agent": 2,
            "from_agent_name": "Anna Nowak", "queue": 1, "queue_name": "Sales", "strategy": "",
            "strategy_label": "", "runner_up": None, "runner_up_name": "", "reason": "manual",
            "note": "Wants a refund, order 1234.",
        },
    ),
]


class ChatEventsApi(APIView):
    @extend_schema(
        tags=["chats"],
        operation_id="chats_events",
        summary="The chat's timeline: every event in plain words, with why its agent was chosen",
        description="Oldest first. `text` is one sentence in the language of `Accept-Language` (pl or en; the "
                    "site's language without it): for an automatic assignment the deciding strategy in words and "
                    "the runner-up (the agent ranked next), for a transfer from whom to whom, by whom, why and its "
                    "note, for a close by whom or why. The same rule of who may see the chat as GET chats/{id}/: "
                    "another agent's chat is 404.",
        responses={200: TimelineEntryOutput(many=True), 404: ErrorOutput},
        examples=EVENTS_EXAMPLES,
    )
    def get(self, request, chat_id: int):
        chat = chat_get_for(user=request.user, chat_id=chat_id)
        return Response(TimelineEntryOutput([e.as_dict() for e in chat_timeline(chat=chat)], many=True).data)


class ChatAssignApi(APIView):
    class InputSerializer(serializers.Serializer):
        agent = serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(ACTIVE_AGENT.q()), required=False,
            help_text="Default: yourself. Only staff assign to someone else.",
        )

    @extend_schema(
        tags=["chats"],
        operation_id="chats_assign",
        summary="Assign by hand (also the Assign of a chat whose automatic assignment stopped)",
        request=InputSerializer,
        responses={200: ChatOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
        examples=[OpenApiExample("Take it myself", value={}, request_only=True),
                  OpenApiExample("Assign to agent 2", value={"agent": 2}, request_only=True), ERROR_EXAMPLE,
                  TAKEN_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        chat = chat_get_assignable_for(user=request.user, chat_id=chat_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = data.validated_data.get("agent") or request.user
        chat = chat_assign(chat_id=chat.pk, agent_id=agent.pk, actor=request.user, strategy="manual")
        return Response(ChatOutput(Chat.objects.get(pk=chat.pk)).data)


class ChatTransferApi(APIView):
    class InputSerializer(serializers.Serializer):
        agent = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(ACTIVE_AGENT.q()), required=False)
        queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False)
        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=1000,
            help_text="What the next agent should know: shown at the top of the chat (transfer_note of GET "
                      "chats/{id}/), never to the visitor.",
        )

        def validate(self, attrs):
            if bool(attrs.get("agent")) == bool(attrs.get("queue")):
                raise serializers.ValidationError({"agent": ["Give either an agent or a queue."]})
            return attrs

    @extend_schema(
        tags=["chats"],
        operation_id="chats_transfer",
        request=InputSerializer,
        summary="Transfer to an agent or back to a queue (an agent: only the chat assigned to him, else 403)",
        responses={200: ChatOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
        examples=[OpenApiExample("To a colleague", value={"agent": 3, "note": "Wants a refund, order 1234."},
                                 request_only=True),
                  OpenApiExample("Back to a queue", value={"queue": 1}, request_only=True), FORBIDDEN_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        chat = chat_get_for(user=request.user, chat_id=chat_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent, queue = data.validated_data.get("agent"), data.validated_data.get("queue")
        chat = chat_transfer(chat_id=chat.pk, to_agent_id=agent.pk if agent else None,
                             to_queue_id=queue.pk if queue else None, actor=request.user,
                             note=data.validated_data["note"])
        return Response(ChatOutput(Chat.objects.get(pk=chat.pk)).data)


class ChatCloseApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(
            choices=[Chat.CloseReason.AGENT, Chat.CloseReason.ADMIN], required=False, default=Chat.CloseReason.AGENT,
            help_text="\"agent\"; staff may also record \"admin\" (403 for an agent).",
        )
        disposition = serializers.IntegerField(
            required=False, allow_null=True, default=None, min_value=1,
            help_text="An active disposition's id (GET dispositions/). Required for reason \"agent\" on a "
                      "customer chat when the card's disposition_required is on (400, code \"required\").",
        )

    @extend_schema(
        tags=["chats"],
        operation_id="chats_close",
        summary="Close (an agent: the chat assigned to him or his internal chat, reason \"agent\"; else 403)",
        request=InputSerializer,
        responses={200: ChatOutput, 403: ErrorOutput, 409: ErrorOutput},
        examples=[OpenApiExample("Close", value={"reason": "agent", "disposition": 2}, request_only=True),
                  CLOSED_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        chat = chat_get_for(user=request.user, chat_id=chat_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chat = chat_close(chat_id=chat.pk, reason=data.validated_data["reason"], actor=request.user,
                          disposition_id=data.validated_data["disposition"])
        return Response(ChatOutput(Chat.objects.get(pk=chat.pk)).data)


class ChatConfirmCustomerApi(APIView):
    @extend_schema(
        tags=["chats"],
        operation_id="chats_confirm_customer",
        summary="Confirm that the visitor is the linked CRM customer (the agent handling the chat, or staff)",
        description="An e-mail typed into the widget is a claim: until confirmed, the customer's details and "
                    "earlier chats are not shown and a VIP gets no priority. The agent confirms after checking "
                    "the visitor's identity in the conversation.",
        request=None,
        responses={200: ChatOutput, 400: ErrorOutput, 403: ErrorOutput, 409: ErrorOutput},
        examples=[
            OpenApiExample("Already verified", response_only=True, status_codes=["409"],
                           value={"chat": ["This chat's customer is already verified."], "code": "already_verified"}),
            OpenApiExample("No customer", response_only=True, status_codes=["400"],
                           value={"customer": ["This chat is not linked to a customer in the CRM."],
                                  "code": "no_customer"}),
        ],
    )
    def post(self, request, chat_id: int):
        chat = chat_get_for(user=request.user, chat_id=chat_id)
        chat = chat_customer_confirm(chat_id=chat.pk, actor=request.user)
        return Response(ChatOutput(Chat.objects.get(pk=chat.pk)).data)


class CustomerChatsApi(GenericAPIView):
    serializer_class = ChatOutput

    @extend_schema(tags=["customers"], operation_id="customers_chats", responses=ChatOutput(many=True),
                   summary="The customer's chats that the user may see")
    def get(self, request, customer_id: int):
        customer_get_for(user=request.user, customer_id=customer_id)
        page = self.paginate_queryset(chat_list(user=request.user, filters={"customer": customer_id}))
        return self.get_paginated_response(ChatOutput(page, many=True).data)


class DispositionListApi(APIView):
    @extend_schema(
        tags=["chats"], operation_id="dispositions_list", responses=DispositionOutput(many=True),
        summary="The active dispositions a chat can be closed with (managed in the admin)",
    )
    def get(self, request):
        return Response(DispositionOutput(dispositions_active(), many=True).data)
