"""The REST API under /api/v1/. One class per resource path, one method per
operation, nested input serializers; every write calls one service, every read
goes through a selector that hides what the user may not see (404)."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import PauseType, Presence, User
from chat.api.pagination import max_page_size
from chat.api.permissions import IsStaffOrReadOnly
from chat.api.schema import FILE_TOO_LARGE_EXAMPLE, FILE_TOO_LARGE_RESPONSE
from chat.api.selectors import (
    attachment_get_for,
    chat_get_assignable_for,
    chat_get_for,
    chat_list,
    chat_messages,
)
from chat.api.serializers import (
    AgentOutput,
    AttachmentOutput,
    ChatOutput,
    CustomerOutput,
    ErrorOutput,
    MessageOutput,
    PauseTypeOutput,
    PresenceOutput,
    QueueMemberOutput,
    QueueOutput,
)
from chat.bodies import ParleyJSONParser
from chat.downloads import attachment_file_response
from chat.models import (
    AGENT_STRATEGY_CHOICES,
    CHAT_STRATEGY_CHOICES,
    Chat,
    ChatSettings,
    Message,
    Queue,
    QueueMembership,
)
from chat.selectors import customers_visible_to
from chat.services import queues as queue_services
from chat.services.files import attachment_create
from chat.services.settings import chat_settings_update
from crm.models import Customer

ERROR_EXAMPLE = OpenApiExample(
    "Refused",
    value={"agent": ["Anna already has the maximum of 3 open chats."], "code": "agent_full"},
    response_only=True,
    status_codes=["400"],
)
CLOSED_EXAMPLE = OpenApiExample(
    "Closed chat",
    value={"chat": ["This chat is closed."], "code": "closed"},
    response_only=True,
    status_codes=["409"],
)
FORBIDDEN_EXAMPLE = OpenApiExample(
    "Not yours",
    value={"chat": ["Only the agent handling this chat, or staff, can transfer it."], "code": "forbidden"},
    response_only=True,
    status_codes=["403"],
)
TAKEN_EXAMPLE = OpenApiExample(
    "Taken by another agent",
    value={"chat": ["This chat has already been taken by Bartek."], "code": "taken"},
    response_only=True,
    status_codes=["409"],
)


# --- settings -------------------------------------------------------------------------------------------------


class SettingsOutput(serializers.ModelSerializer):
    agent_strategy_order = serializers.ListField(child=serializers.ChoiceField(choices=AGENT_STRATEGY_CHOICES))
    chat_strategy_order = serializers.ListField(child=serializers.ChoiceField(choices=CHAT_STRATEGY_CHOICES))

    class Meta:
        model = ChatSettings
        fields = [
            "inactivity_timeout_website",
            "inactivity_timeout_messenger",
            "inactivity_timeout_internal",
            "inactivity_counted_from",
            "no_reply_transfer_after",
            "no_reply_pause_type",
            "max_concurrent_chats",
            "assign_during_phone_call",
            "auto_add_to_crm",
            "welcome_message_when",
            "welcome_message_text",
            "agent_strategy_order",
            "chat_strategy_order",
            "delete_chats_after_days",
            "stop_auto_assign_after_hours",
            "file_upload_enabled",
            "file_max_size_mb",
            "file_download_hours",
            "updated_at",
        ]


def _card_number(name: str) -> serializers.IntegerField:
    """A number of the card, with the bounds of the model's field (docs/api.md "Bounds of the numbers")."""
    return serializers.IntegerField(required=False, **ChatSettings.limits(name))


class SettingsApi(APIView):
    """The parameter card. Everyone signed in reads it; only staff change it."""

    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        inactivity_timeout_website = _card_number("inactivity_timeout_website")
        inactivity_timeout_messenger = _card_number("inactivity_timeout_messenger")
        inactivity_timeout_internal = _card_number("inactivity_timeout_internal")
        inactivity_counted_from = serializers.ChoiceField(
            choices=ChatSettings.InactivityFrom.choices, required=False
        )
        no_reply_transfer_after = _card_number("no_reply_transfer_after")
        no_reply_pause_type = serializers.PrimaryKeyRelatedField(
            queryset=PauseType.objects.all(), allow_null=True, required=False
        )
        max_concurrent_chats = _card_number("max_concurrent_chats")
        assign_during_phone_call = serializers.BooleanField(required=False)
        auto_add_to_crm = serializers.BooleanField(required=False)
        welcome_message_when = serializers.ChoiceField(choices=ChatSettings.WelcomeWhen.choices, required=False)
        welcome_message_text = serializers.CharField(allow_blank=True, max_length=2000, required=False)
        agent_strategy_order = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, max_length=20,
            help_text="Every agent strategy code exactly once, in the new order.",
        )
        chat_strategy_order = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, max_length=20,
            help_text="Every chat order code exactly once, in the new order.",
        )
        delete_chats_after_days = _card_number("delete_chats_after_days")
        stop_auto_assign_after_hours = _card_number("stop_auto_assign_after_hours")
        file_upload_enabled = serializers.BooleanField(required=False)
        file_max_size_mb = _card_number("file_max_size_mb")
        file_download_hours = _card_number("file_download_hours")

    @staticmethod
    def _output(card: ChatSettings) -> dict:
        return SettingsOutput(card).data

    @extend_schema(tags=["settings"], operation_id="settings_get", responses=SettingsOutput)
    def get(self, request):
        return Response(self._output(ChatSettings.load()))

    @extend_schema(
        tags=["settings"],
        operation_id="settings_update",
        summary="Change parameters and/or reorder the strategies (staff only)",
        request=InputSerializer,
        responses={200: SettingsOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample(
                "Raise the limit and serve VIPs first",
                request_only=True,
                value={
                    "max_concurrent_chats": 5,
                    "chat_strategy_order": ["vip", "longest_waiting", "shortest_waiting"],
                },
            ),
            OpenApiExample(
                "Unknown strategy",
                response_only=True,
                status_codes=["400"],
                value={"chat_strategy_order": ["Unknown strategy: fastest."], "code": "unknown"},
            ),
        ],
    )
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "no_reply_pause_type" in fields:
            pause_type = fields["no_reply_pause_type"]
            fields["no_reply_pause_type"] = pause_type.pk if pause_type else None
        card = chat_settings_update(actor=request.user, **fields)
        return Response(self._output(ChatSettings.objects.get(pk=card.pk)))


# --- pause types ----------------------------------------------------------------------------------------------


class PauseTypeListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)

    @extend_schema(tags=["pause-types"], operation_id="pause_types_list", responses=PauseTypeOutput(many=True))
    def get(self, request):
        return Response(PauseTypeOutput(PauseType.objects.all(), many=True).data)

    @extend_schema(
        tags=["pause-types"],
        operation_id="pause_types_create",
        request=InputSerializer,
        responses={201: PauseTypeOutput, 400: ErrorOutput},
        examples=[OpenApiExample("Training", value={"name": "Training"}, request_only=True)],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pause_type = queue_services.pause_type_create(actor=request.user, **data.validated_data)
        return Response(PauseTypeOutput(pause_type).data, status=status.HTTP_201_CREATED)


class PauseTypeDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)

    def _get(self, pause_type_id: int) -> PauseType:
        pause_type = PauseType.objects.filter(pk=pause_type_id).first()
        if pause_type is None:
            raise NotFound("No such pause type.")
        return pause_type

    @extend_schema(tags=["pause-types"], operation_id="pause_types_get", responses=PauseTypeOutput)
    def get(self, request, pause_type_id: int):
        return Response(PauseTypeOutput(self._get(pause_type_id)).data)

    @extend_schema(tags=["pause-types"], operation_id="pause_types_update", request=InputSerializer,
                   responses={200: PauseTypeOutput, 400: ErrorOutput})
    def patch(self, request, pause_type_id: int):
        self._get(pause_type_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pause_type = queue_services.pause_type_update(
            pause_type_id=pause_type_id, actor=request.user, **data.validated_data
        )
        return Response(PauseTypeOutput(pause_type).data)

    @extend_schema(
        tags=["pause-types"],
        operation_id="pause_types_delete",
        summary="Delete a pause type; built-ins are refused (400, code built_in)",
        responses={204: None, 400: ErrorOutput},
        examples=[
            OpenApiExample(
                "Built-in",
                response_only=True,
                status_codes=["400"],
                value={"pause_type": ["Built-in pause types cannot be deleted."], "code": "built_in"},
            )
        ],
    )
    def delete(self, request, pause_type_id: int):
        self._get(pause_type_id)
        queue_services.pause_type_delete(pause_type_id=pause_type_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- queues ---------------------------------------------------------------------------------------------------


def _queues():
    return Queue.objects.prefetch_related("memberships__agent")


class QueueListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        description = serializers.CharField(allow_blank=True, required=False, default="", max_length=5000)
        active = serializers.BooleanField(required=False, default=True)

    @extend_schema(tags=["queues"], operation_id="queues_list", responses=QueueOutput(many=True))
    def get(self, request):
        return Response(QueueOutput(_queues(), many=True).data)

    @extend_schema(
        tags=["queues"],
        operation_id="queues_create",
        request=InputSerializer,
        responses={201: QueueOutput, 400: ErrorOutput},
        examples=[OpenApiExample("Sales", value={"name": "Sales", "description": "Pre-sales questions"},
                                 request_only=True)],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue = queue_services.queue_create(actor=request.user, **data.validated_data)
        return Response(QueueOutput(_queues().get(pk=queue.pk)).data, status=status.HTTP_201_CREATED)


def _queue_or_404(queue_id: int) -> Queue:
    queue = _queues().filter(pk=queue_id).first()
    if queue is None:
        raise NotFound("No such queue.")
    return queue


class QueueDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        description = serializers.CharField(allow_blank=True, required=False, max_length=5000)
        active = serializers.BooleanField(required=False)

    @extend_schema(tags=["queues"], operation_id="queues_get", responses=QueueOutput)
    def get(self, request, queue_id: int):
        return Response(QueueOutput(_queue_or_404(queue_id)).data)

    @extend_schema(tags=["queues"], operation_id="queues_update", request=InputSerializer,
                   responses={200: QueueOutput, 400: ErrorOutput})
    def patch(self, request, queue_id: int):
        _queue_or_404(queue_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue_services.queue_update(queue_id=queue_id, actor=request.user, **data.validated_data)
        return Response(QueueOutput(_queue_or_404(queue_id)).data)

    @extend_schema(tags=["queues"], operation_id="queues_delete", responses={204: None, 400: ErrorOutput},
                   summary="Delete a queue without chats (one with chats: switch it off with active=false)")
    def delete(self, request, queue_id: int):
        _queue_or_404(queue_id)
        queue_services.queue_delete(queue_id=queue_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QueueMemberListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        agent = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
        priority = serializers.IntegerField(required=False, default=0, min_value=-1000000, max_value=1000000,
                                            help_text="Higher priority gets chats first.")

    @extend_schema(tags=["queues"], operation_id="queue_members_list", responses=QueueMemberOutput(many=True))
    def get(self, request, queue_id: int):
        return Response(QueueMemberOutput(_queue_or_404(queue_id).memberships.all(), many=True).data)

    @extend_schema(
        tags=["queues"],
        operation_id="queue_members_set",
        summary="Add an agent to the queue or change his priority there",
        request=InputSerializer,
        responses={200: QueueMemberOutput, 400: ErrorOutput},
        examples=[OpenApiExample("Add with priority", value={"agent": 2, "priority": 10}, request_only=True)],
    )
    def post(self, request, queue_id: int):
        _queue_or_404(queue_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = queue_services.queue_member_set(
            queue_id=queue_id,
            agent_id=data.validated_data["agent"].pk,
            priority=data.validated_data["priority"],
            actor=request.user,
        )
        return Response(QueueMemberOutput(membership).data)


class QueueMemberDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(tags=["queues"], operation_id="queue_members_remove", responses={204: None, 400: ErrorOutput})
    def delete(self, request, queue_id: int, agent_id: int):
        _queue_or_404(queue_id)
        if not QueueMembership.objects.filter(queue_id=queue_id, agent_id=agent_id).exists():
            raise NotFound("This agent is not a member of this queue.")
        queue_services.queue_member_remove(queue_id=queue_id, agent_id=agent_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- agents and presence --------------------------------------------------------------------------------------


def _agent_or_404(id_or_username: str) -> User:
    agents = User.objects.select_related("presence").prefetch_related("memberships")
    agent = agents.filter(pk=int(id_or_username)).first() if id_or_username.isdigit() else None
    if agent is None:
        agent = agents.filter(username=id_or_username).first()
    if agent is None:
        raise NotFound("No such agent.")
    return agent


AGENT_PARAMETER = OpenApiParameter(
    "agent", OpenApiTypes.STR, OpenApiParameter.PATH, description="The agent's id or username."
)


class AgentListApi(GenericAPIView):
    serializer_class = AgentOutput

    @extend_schema(tags=["agents"], operation_id="agents_list", responses=AgentOutput(many=True))
    def get(self, request):
        agents = User.objects.filter(is_active=True).select_related("presence").prefetch_related("memberships")
        page = self.paginate_queryset(agents.order_by("username"))
        return self.get_paginated_response(AgentOutput(page, many=True).data)


class AgentDetailApi(APIView):
    @extend_schema(tags=["agents"], operation_id="agents_get", parameters=[AGENT_PARAMETER], responses=AgentOutput)
    def get(self, request, agent: str):
        return Response(AgentOutput(_agent_or_404(agent)).data)


class AgentPresenceApi(APIView):
    """What a PBX calls: ``PATCH agents/{id or username}/presence/ {"on_phone_call": true}``.
    Staff change anyone's presence, an agent only his own."""

    class InputSerializer(serializers.Serializer):
        logged_in = serializers.BooleanField(required=False)
        pause_type = serializers.PrimaryKeyRelatedField(
            queryset=PauseType.objects.all(), allow_null=True, required=False,
            help_text="A pause type id to pause, null to be available.",
        )
        on_phone_call = serializers.BooleanField(required=False)

    @extend_schema(tags=["agents"], operation_id="agents_presence_get", parameters=[AGENT_PARAMETER],
                   responses=PresenceOutput)
    def get(self, request, agent: str):
        from agents.services import presence_get

        user = _agent_or_404(agent)
        return Response(PresenceOutput(presence_get(agent_id=user.pk)).data)

    @extend_schema(
        tags=["agents"],
        operation_id="agents_presence_update",
        summary="Log in/out, pause with a type or resume (pause_type null), on a phone call",
        parameters=[AGENT_PARAMETER],
        request=InputSerializer,
        responses={200: PresenceOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample("PBX: call started", value={"on_phone_call": True}, request_only=True),
            OpenApiExample("Pause: break", value={"pause_type": 3}, request_only=True),
            OpenApiExample("Available", value={"logged_in": True, "pause_type": None}, request_only=True),
        ],
    )
    def patch(self, request, agent: str):
        from agents.services import presence_update

        user = _agent_or_404(agent)
        if not (request.user.is_staff or request.user.pk == user.pk):
            raise PermissionDenied("Only staff can change another agent's presence.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "pause_type" in fields:
            pause_type = fields.pop("pause_type")
            fields["pause_type_id"] = pause_type.pk if pause_type else None
        presence = presence_update(agent_id=user.pk, actor=request.user, **fields)
        return Response(PresenceOutput(Presence.objects.select_related("agent").get(pk=presence.pk)).data)


# --- customers ------------------------------------------------------------------------------------------------


def _customer_or_404(*, user, customer_id: int) -> Customer:
    """A customer the user may read (``customers_visible_to``); any other answers 404."""
    customer = customers_visible_to(user=user).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("No such customer.")
    return customer


class CustomerInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    email = serializers.EmailField(max_length=254, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=40, allow_blank=True, required=False)
    messenger_id = serializers.CharField(max_length=64, allow_blank=True, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True,
                                               required=False, help_text="Staff only (403 for an agent).")
    vip = serializers.BooleanField(required=False, help_text="Staff only (403 for an agent).")


def _customer_fields(validated: dict) -> dict:
    fields = dict(validated)
    if "owner" in fields:
        owner = fields.pop("owner")
        fields["owner_id"] = owner.pk if owner else None
    return fields


class CustomerListApi(GenericAPIView):
    serializer_class = CustomerOutput

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                  help_text="Search in name, e-mail and phone.")

    @extend_schema(
        tags=["customers"],
        operation_id="customers_list",
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="Search in name, e-mail and phone.")],
        responses=CustomerOutput(many=True),
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        customers = customers_visible_to(user=request.user)
        if q := filters.validated_data.get("q", "").strip():
            customers = customers.filter(
                Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q) | Q(messenger_id=q)
            )
        page = self.paginate_queryset(customers.order_by("name", "id"))
        return self.get_paginated_response(CustomerOutput(page, many=True).data)

    @extend_schema(
        tags=["customers"],
        operation_id="customers_create",
        request=CustomerInput,
        responses={201: CustomerOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample("Create", request_only=True,
                           value={"name": "Jan Kowalski", "email": "jan@example.com", "phone": "+48 600 100 200"}),
            OpenApiExample("Duplicate e-mail", response_only=True, status_codes=["400"],
                           value={"email": ["A customer with this e-mail already exists."], "code": "unique"}),
        ],
    )
    def post(self, request):
        from crm.services import customer_create

        data = CustomerInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_create(actor=request.user, **_customer_fields(data.validated_data))
        return Response(CustomerOutput(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailApi(APIView):
    """Staff read every customer; an agent the ones he owns and those verified-linked to a chat he may see."""

    @extend_schema(tags=["customers"], operation_id="customers_get", responses=CustomerOutput)
    def get(self, request, customer_id: int):
        return Response(CustomerOutput(_customer_or_404(user=request.user, customer_id=customer_id)).data)

    @extend_schema(tags=["customers"], operation_id="customers_update", request=CustomerInput,
                   summary="Change a customer (owner and VIP: staff only, 403 for an agent)",
                   responses={200: CustomerOutput, 400: ErrorOutput, 403: ErrorOutput},
                   examples=[
                       OpenApiExample("Make VIP", value={"vip": True}, request_only=True),
                       OpenApiExample("An agent making himself owner", response_only=True, status_codes=["403"],
                                      value={"owner": ["Only staff can change a customer's owner or VIP flag."],
                                             "code": "forbidden"}),
                   ])
    def patch(self, request, customer_id: int):
        from crm.services import customer_update

        _customer_or_404(user=request.user, customer_id=customer_id)
        data = CustomerInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_update(customer_id=customer_id, actor=request.user,
                                   **_customer_fields(data.validated_data))
        return Response(CustomerOutput(customer).data)


class CustomerChatsApi(GenericAPIView):
    serializer_class = ChatOutput

    @extend_schema(tags=["customers"], operation_id="customers_chats", responses=ChatOutput(many=True),
                   summary="The customer's chats that the user may see")
    def get(self, request, customer_id: int):
        _customer_or_404(user=request.user, customer_id=customer_id)
        page = self.paginate_queryset(chat_list(user=request.user, filters={"customer": customer_id}))
        return self.get_paginated_response(ChatOutput(page, many=True).data)


# --- chats ----------------------------------------------------------------------------------------------------


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
            queryset=User.objects.filter(is_active=True), required=False, allow_null=True,
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
        request=InputSerializer,
        responses={201: ChatOutput, 400: ErrorOutput, 403: ErrorOutput},
        examples=[
            OpenApiExample("Internal chat", value={"channel": "internal", "peer": 3}, request_only=True),
            OpenApiExample("Website chat", request_only=True,
                           value={"channel": "website", "queue": 1, "visitor_name": "Anna",
                                  "visitor_email": "anna@example.com"}),
        ],
    )
    def post(self, request):
        from chat.services.chats import chat_start

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
        return Response(ChatOutput(chat_get_for(user=request.user, chat_id=chat.pk)).data,
                        status=status.HTTP_201_CREATED)


class ChatDetailApi(APIView):
    @extend_schema(tags=["chats"], operation_id="chats_get", responses={200: ChatOutput, 404: ErrorOutput})
    def get(self, request, chat_id: int):
        return Response(ChatOutput(chat_get_for(user=request.user, chat_id=chat_id)).data)


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
        summary="Post the agent's message (Messenger chats: sent through the Send API)",
        request=InputSerializer,
        responses={201: MessageOutput, 400: ErrorOutput, 409: ErrorOutput},
        examples=[OpenApiExample("Reply", value={"body": "Good morning, how can I help?"}, request_only=True),
                  CLOSED_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        from chat.services.messages import message_post

        chat = chat_get_for(user=request.user, chat_id=chat_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = message_post(chat_id=chat.pk, sender=Message.Sender.AGENT, author_id=request.user.pk,
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
        from chat.messenger.outbox import message_delivery_retry

        chat = chat_get_for(user=request.user, chat_id=chat_id)
        if not chat.messages.filter(pk=message_id).exists():
            raise NotFound("No such message.")
        message_delivery_retry(message_id=message_id, actor=request.user)
        return Response(MessageOutput(Message.objects.prefetch_related("attachments").get(pk=message_id)).data)


class ChatAssignApi(APIView):
    class InputSerializer(serializers.Serializer):
        agent = serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(is_active=True), required=False,
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
        from chat.services.chats import chat_assign

        chat = chat_get_assignable_for(user=request.user, chat_id=chat_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = data.validated_data.get("agent") or request.user
        chat = chat_assign(chat_id=chat.pk, agent_id=agent.pk, actor=request.user, strategy="manual")
        return Response(ChatOutput(Chat.objects.get(pk=chat.pk)).data)


class ChatTransferApi(APIView):
    class InputSerializer(serializers.Serializer):
        agent = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
        queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False)

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
        examples=[OpenApiExample("To a colleague", value={"agent": 3}, request_only=True),
                  OpenApiExample("Back to a queue", value={"queue": 1}, request_only=True), FORBIDDEN_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        from chat.services.chats import chat_transfer

        chat = chat_get_for(user=request.user, chat_id=chat_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent, queue = data.validated_data.get("agent"), data.validated_data.get("queue")
        chat = chat_transfer(chat_id=chat.pk, to_agent_id=agent.pk if agent else None,
                             to_queue_id=queue.pk if queue else None, actor=request.user)
        return Response(ChatOutput(Chat.objects.get(pk=chat.pk)).data)


class ChatCloseApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(
            choices=[Chat.CloseReason.AGENT, Chat.CloseReason.ADMIN], required=False, default=Chat.CloseReason.AGENT,
            help_text="\"agent\"; staff may also record \"admin\" (403 for an agent).",
        )

    @extend_schema(
        tags=["chats"],
        operation_id="chats_close",
        summary="Close (an agent: the chat assigned to him or his internal chat, reason \"agent\"; else 403)",
        request=InputSerializer,
        responses={200: ChatOutput, 403: ErrorOutput, 409: ErrorOutput},
        examples=[OpenApiExample("Close", value={"reason": "agent"}, request_only=True), CLOSED_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        from chat.services.chats import chat_close

        chat = chat_get_for(user=request.user, chat_id=chat_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chat = chat_close(chat_id=chat.pk, reason=data.validated_data["reason"], actor=request.user)
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
        from chat.services.chats import chat_customer_confirm

        chat = chat_get_for(user=request.user, chat_id=chat_id)
        chat = chat_customer_confirm(chat_id=chat.pk, actor=request.user)
        return Response(ChatOutput(Chat.objects.get(pk=chat.pk)).data)


# --- attachments ----------------------------------------------------------------------------------------------


class AttachmentUploadApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        chat = serializers.IntegerField(min_value=1)
        file = serializers.FileField(allow_empty_file=True)
        body = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")

    @extend_schema(
        tags=["attachments"],
        operation_id="attachments_upload",
        summary="Send a file in a chat (multipart/form-data); over the card's limit -> 413, nothing stored",
        description=(
            "A body whose Content-Length is over the card's file limit plus 64 KiB (the other fields and the "
            "multipart framing) is refused before it is read; a file over the limit is stopped when its bytes "
            "pass the limit. Both answer 413 with `code` `too_large` and `limit_bytes`, and store nothing."
        ),
        request={"multipart/form-data": InputSerializer},
        responses={201: AttachmentOutput, 400: ErrorOutput, 409: ErrorOutput, 413: FILE_TOO_LARGE_RESPONSE},
        examples=[FILE_TOO_LARGE_EXAMPLE],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chat = chat_get_for(user=request.user, chat_id=data.validated_data["chat"])
        attachment = attachment_create(
            uploaded_file=data.validated_data["file"],
            chat_id=chat.pk,
            sender=Message.Sender.AGENT,
            author_id=request.user.pk,
            body=data.validated_data["body"],
        )
        return Response(AttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDetailApi(APIView):
    @extend_schema(tags=["attachments"], operation_id="attachments_get", responses=AttachmentOutput)
    def get(self, request, attachment_id: int):
        return Response(AttachmentOutput(attachment_get_for(user=request.user, attachment_id=attachment_id)).data)


class AttachmentDownloadApi(APIView):
    @extend_schema(
        tags=["attachments"],
        operation_id="attachments_download",
        summary="The file (Content-Disposition: attachment); after its download hours 410 Gone",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(ErrorOutput),
            410: OpenApiResponse(ErrorOutput),
        },
    )
    def get(self, request, attachment_id: int):
        return attachment_file_response(attachment_get_for(user=request.user, attachment_id=attachment_id))

