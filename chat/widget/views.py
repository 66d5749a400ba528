"""The public visitor API under ``/widget/v1/`` (used by static/widget/*.js).

Starting a chat needs no credentials and returns the chat's visitor token;
everything else under ``chats/{chat_id}/`` needs that token in the
``X-Visitor-Token`` header and opens only that chat. Every view is throttled
per visitor and per IP. Views are thin: they parse, call one service, render.
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.downloads import attachment_file_response
from chat.models import Attachment, Chat, Message
from chat.models.chats import RATING_COMMENT_MAX, RATING_MAX, RATING_MIN
from chat.services.availability import queue_availability
from chat.services.chats import chat_close
from chat.services.errors import ChatError
from chat.services.files import attachment_create
from chat.services.messages import message_post
from chat.services.offline import (
    OFFLINE_FILES_MAX,
    OFFLINE_MESSAGE_MAX,
    OFFLINE_NAME_MAX,
    offline_message_submit,
    widget_queue,
)
from chat.services.ratings import chat_rate
from chat.services.visitors import chat_heartbeat, chat_page_closed, visitor_chat_start
from chat.widget.authentication import VisitorTokenAuthentication
from chat.widget.polls import VERSION_HEADER, widget_poll_unchanged, widget_poll_version
from chat.widget.serializers import (
    WidgetChatOutput,
    WidgetConfigOutput,
    WidgetMessageOutput,
    WidgetRatingOutput,
    config_output,
)
from core.bodies import ParleyJSONParser
from core.logs import log_context
from core.rest.schema import FILE_TOO_LARGE_EXAMPLE, FILE_TOO_LARGE_RESPONSE
from core.rest.serializers import ErrorOutput
from core.rest.throttles import WidgetIPThrottle, WidgetVisitorThrottle

VISITOR_KEY_HELP = "A random key the widget keeps in the browser's localStorage (16-64 characters)."


class IsVisitorOfChat(BasePermission):
    message = "Send the chat's visitor token in the X-Visitor-Token header."

    def has_permission(self, request, view):
        chat = getattr(request, "auth", None)
        return isinstance(chat, Chat) and str(chat.pk) == str(view.kwargs.get("chat_id"))


class WidgetApi(APIView):
    authentication_classes = [VisitorTokenAuthentication]
    permission_classes = [IsVisitorOfChat]
    throttle_classes = [WidgetIPThrottle, WidgetVisitorThrottle]

    @property
    def chat(self) -> Chat:
        return self.request.auth


class WidgetChatStartApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [WidgetIPThrottle, WidgetVisitorThrottle]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        email = serializers.EmailField(required=False, allow_blank=True, default="")
        email_signature = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=128,
            help_text="Hex HMAC-SHA256 of the lower-cased e-mail with the widget secret, computed by the host "
                      "page's server for a logged-in visitor. Valid: the identity is verified; wrong: 400, "
                      "nothing created; absent: the e-mail is a claim.",
        )
        queue = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
        page = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
        visitor_key = serializers.RegexField(
            r"^[A-Za-z0-9_-]{16,64}$",
            help_text=VISITOR_KEY_HELP,
            error_messages={"invalid": "Use 16-64 letters, digits, '-' or '_'."},
        )

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send it back in the X-Visitor-Token header; it opens only this chat.")
        resumed = serializers.BooleanField(help_text="True when the visitor key already had an open chat.")
        chat = WidgetChatOutput()

    @extend_schema(
        tags=["widget"],
        operation_id="widget_chat_start",
        summary="Start a chat (or resume the visitor key's open chat)",
        request=InputSerializer,
        responses={201: OutputSerializer, 400: ErrorOutput},
        examples=[
            OpenApiExample(
                "Wrong signature",
                response_only=True,
                status_codes=["400"],
                value={"email_signature": ["The e-mail signature is not valid."], "code": "invalid_signature"},
            ),
            OpenApiExample(
                "Start",
                request_only=True,
                value={
                    "name": "Anna",
                    "email": "anna@example.com",
                    "queue": 1,
                    "page": "https://shop.example.com/cart",
                    "visitor_key": "k2V9x0fQm3Yt7LpA",
                },
            )
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        started = timezone.now()
        chat, token = visitor_chat_start(
            visitor_key=data.validated_data["visitor_key"],
            queue_id=data.validated_data["queue"],
            visitor_name=data.validated_data["name"],
            visitor_email=data.validated_data["email"],
            email_signature=data.validated_data["email_signature"],
            page_url=data.validated_data["page"],
        )
        log_context(chat_id=chat.pk, queue_id=chat.queue_id)  # the rest of the request's lines name the new chat
        output = {"token": token, "resumed": chat.created_at < started, "chat": WidgetChatOutput(chat).data}
        return Response(output, status=status.HTTP_201_CREATED)


class WidgetChatDetailApi(WidgetApi):
    @extend_schema(tags=["widget"], operation_id="widget_chat_get", summary="The chat's state",
                   responses=WidgetChatOutput)
    def get(self, request, chat_id: int):
        return Response(WidgetChatOutput(Chat.objects.select_related("agent").get(pk=self.chat.pk)).data)


class WidgetMessagesApi(WidgetApi):
    parser_classes = [ParleyJSONParser, FormParser]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=10000, trim_whitespace=True)

    class FilterSerializer(serializers.Serializer):
        since = serializers.IntegerField(min_value=0, required=False, default=0)

    @extend_schema(
        tags=["widget"],
        operation_id="widget_messages_list",
        summary="Messages after a message id (poll with the last id seen)",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.INT, description="Return messages with a larger id."),
            OpenApiParameter(
                "v", OpenApiTypes.STR,
                description="The chat's version from the last answer's X-Parley-Version header: when nothing "
                "changed since, the answer is an empty list at once. While the chat waits, the version also follows "
                "its queue: a new version with no message means ask for the chat again (its place moved).",
            ),
        ],
        responses=WidgetMessageOutput(many=True),
    )
    def get(self, request, chat_id: int):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        since = filters.validated_data["since"]
        version = widget_poll_version(chat_id=self.chat.pk)  # before the query
        messages = (
            Message.objects.for_visitor()
            .filter(chat_id=self.chat.pk, id__gt=since)
            .select_related("author")
            .prefetch_related("attachments")
            .order_by("id")[:500]
        )
        return Response(WidgetMessageOutput(messages, many=True).data, headers={VERSION_HEADER: str(version)})

    def dispatch(self, request, *args, **kwargs):
        """A poll that finds nothing new is answered from the cache alone (``chat.widget.polls``)."""
        if request.method == "GET":
            unchanged = widget_poll_unchanged(request, chat_id=kwargs["chat_id"])
            if unchanged is not None:
                return unchanged
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        tags=["widget"],
        operation_id="widget_message_post",
        summary="Post the visitor's message",
        request=InputSerializer,
        responses={201: WidgetMessageOutput},
        examples=[OpenApiExample("Message", value={"body": "Hello, I need help with my order."}, request_only=True)],
    )
    def post(self, request, chat_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = message_post(chat_id=self.chat.pk, sender=Message.Sender.CLIENT, body=data.validated_data["body"])
        message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}  # a new message has none
        return Response(WidgetMessageOutput(message).data, status=status.HTTP_201_CREATED)


class WidgetHeartbeatApi(WidgetApi):
    @extend_schema(tags=["widget"], operation_id="widget_heartbeat", request=None, responses={204: None},
                   summary="The page with the widget is open (send every 30 s)")
    def post(self, request, chat_id: int):
        chat_heartbeat(chat_id=self.chat.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WidgetPageClosedApi(WidgetApi):
    @extend_schema(tags=["widget"], operation_id="widget_page_closed", request=None, responses={204: None},
                   summary="The page with the widget was closed (fetch with keepalive on pagehide)")
    def post(self, request, chat_id: int):
        chat_page_closed(chat_id=self.chat.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WidgetChatCloseApi(WidgetApi):
    @extend_schema(tags=["widget"], operation_id="widget_chat_close", request=None, responses=WidgetChatOutput,
                   summary="The visitor ends the chat")
    def post(self, request, chat_id: int):
        chat = chat_close(chat_id=self.chat.pk, reason=Chat.CloseReason.CLIENT)
        return Response(WidgetChatOutput(chat).data)


class WidgetChatRatingApi(WidgetApi):
    """The visitor rates his closed chat, once (docs/ratings.md)."""

    parser_classes = [ParleyJSONParser, FormParser]

    class InputSerializer(serializers.Serializer):
        score = serializers.IntegerField(
            min_value=RATING_MIN, max_value=RATING_MAX, help_text="1 (very poor) to 5 (excellent)."
        )
        comment = serializers.CharField(
            max_length=RATING_COMMENT_MAX, required=False, allow_blank=True, default="", trim_whitespace=True,
            help_text="Optional, at most 1000 characters.",
        )

    @extend_schema(
        tags=["widget"],
        operation_id="widget_chat_rate",
        summary="The visitor rates the closed chat (once): a score of 1-5 and an optional comment",
        description=(
            "Only a closed chat, only once: a chat still open answers 409 `not_closed`, a second rating 409 "
            "`already_rated`, the survey switched off on the card 409 `ratings_off`; nothing is written then. "
            "A score that is not a whole number from 1 to 5, or a comment over 1000 characters, is 400."
        ),
        request=InputSerializer,
        responses={201: WidgetRatingOutput, 400: ErrorOutput, 409: ErrorOutput},
        examples=[
            OpenApiExample("Rating", request_only=True, value={"score": 5, "comment": "Quick and helpful, thanks!"}),
            OpenApiExample(
                "Rated already", response_only=True, status_codes=["409"],
                value={"detail": ["This conversation has already been rated."], "code": "already_rated"},
            ),
            OpenApiExample(
                "Out of range", response_only=True, status_codes=["400"],
                value={"score": ["Ensure this value is less than or equal to 5."]},
            ),
        ],
    )
    def post(self, request, chat_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chat = chat_rate(
            chat_id=self.chat.pk, score=data.validated_data["score"], comment=data.validated_data["comment"],
            via="widget",
        )
        return Response(WidgetRatingOutput(chat).data, status=status.HTTP_201_CREATED)


class WidgetFileUploadApi(WidgetApi):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        body = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")

    @extend_schema(
        tags=["widget"],
        operation_id="widget_file_upload",
        summary="Upload a file (multipart/form-data); over the card's limit -> 413, nothing stored",
        description=(
            "A body whose Content-Length is over the card's file limit plus 64 KiB is refused before it is "
            "read; a file over the limit is stopped when its bytes pass the limit (413, `too_large`)."
        ),
        request={"multipart/form-data": InputSerializer},
        responses={201: WidgetMessageOutput, 413: FILE_TOO_LARGE_RESPONSE},
        examples=[FILE_TOO_LARGE_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = attachment_create(
            uploaded_file=data.validated_data["file"],
            chat_id=self.chat.pk,
            sender=Message.Sender.CLIENT,
            body=data.validated_data["body"],
        )
        return Response(WidgetMessageOutput(attachment.message).data, status=status.HTTP_201_CREATED)


class WidgetFileDownloadApi(WidgetApi):
    @extend_schema(
        tags=["widget"],
        operation_id="widget_file_download",
        summary="Download a file of this chat (Content-Disposition: attachment); expired -> 410 Gone",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: ErrorOutput,
            410: ErrorOutput,
        },
    )
    def get(self, request, chat_id: int, attachment_id: int):
        attachment = (
            Attachment.objects.filter(pk=attachment_id, message__chat_id=self.chat.pk)
            .exclude(message__sender=Message.Sender.NOTE)
            .first()
        )
        if attachment is None:
            raise ChatError(_("This file does not exist."), field="detail", code="not_found")
        return attachment_file_response(attachment)


# --- business hours and offline messages (issue 17) -----------------------------------------------------------


class WidgetConfigApi(APIView):
    """What the widget reads first when it has no chat to resume: is the queue live (the pre-chat form) or offline
    (the offline form, with the sentence saying when it opens), and the form's limits."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [WidgetIPThrottle]

    class FilterSerializer(serializers.Serializer):
        queue = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)

    @extend_schema(
        tags=["widget"],
        operation_id="widget_config",
        summary="Is the queue live or offline now (and when it opens); the offline form's limits",
        parameters=[OpenApiParameter("queue", OpenApiTypes.INT, description="The widget's queue (data-queue); "
                                     "without it the first active queue.")],
        responses={200: WidgetConfigOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample(
                "Closed",
                response_only=True,
                value={
                    "queue": 1, "live": False, "offline_reason": "closed",
                    "next_opening": "2026-12-07T08:00:00+01:00",
                    "text": "We are closed now. We open on Monday at 08:00.",
                    "file_upload_enabled": True, "file_max_size_mb": 8, "message_max_length": 10000,
                    "name_max_length": 200, "files_max": 3,
                },
            )
        ],
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queue = widget_queue(filters.validated_data["queue"])
        return Response(config_output(queue_availability(queue)))


class WidgetOfflineMessageApi(APIView):
    """The offline form: the message becomes an offline chat that waits for the next opening (queued at once when
    the queue is live meanwhile); the visitor gets an acknowledgement by e-mail, and the agents' replies by
    e-mail. All or nothing: a refused field or file writes nothing."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [WidgetIPThrottle, WidgetVisitorThrottle]
    parser_classes = [ParleyJSONParser, MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        # Whether each is there, its length and the e-mail's form are the service's checks (one refusal naming its
        # field, in the visitor's language); the JSON body's ceiling bounds them before (PARLEY_BODY_MAX_BYTES).
        name = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=True,
                                     help_text=f"Required, at most {OFFLINE_NAME_MAX} characters.")
        email = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=True,
                                      help_text="Required, a valid address: the acknowledgement and the answers go "
                                      "there.")
        message = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=True,
                                        help_text=f"Required, at most {OFFLINE_MESSAGE_MAX} characters.")
        queue = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
        page = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
        visitor_key = serializers.RegexField(
            r"^[A-Za-z0-9_-]{16,64}$", help_text=VISITOR_KEY_HELP + " Counts for the throttle only.",
            error_messages={"invalid": "Use 16-64 letters, digits, '-' or '_'."},
        )
        file = serializers.ListField(
            child=serializers.FileField(allow_empty_file=True), required=False, default=list,
            help_text=f"multipart/form-data only: up to {OFFLINE_FILES_MAX} files (repeat the field), together "
                      "within the card's file limit, when file transfer is on.",
        )

    class OutputSerializer(serializers.Serializer):
        chat = serializers.IntegerField(help_text="The offline chat's id (the number in the e-mails).")
        email = serializers.EmailField(help_text="Where the acknowledgement and the answers go.")
        held = serializers.BooleanField(help_text="True: the queue is closed, the message waits for the opening.")
        next_opening = serializers.DateTimeField(allow_null=True)
        text = serializers.CharField(help_text="The thank-you sentence, in the request's language.")

    @extend_schema(
        tags=["widget"],
        operation_id="widget_offline_message",
        summary="Leave an offline message (JSON, or multipart/form-data with files)",
        request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
        responses={201: OutputSerializer, 400: ErrorOutput, 413: FILE_TOO_LARGE_RESPONSE},
        examples=[
            OpenApiExample(
                "Offline message", request_only=True,
                value={"name": "Anna", "email": "anna@example.com", "message": "Do you deliver on Sundays?",
                       "queue": 1, "page": "https://shop.example.com/", "visitor_key": "k2V9x0fQm3Yt7LpA"},
            ),
            OpenApiExample(
                "No e-mail", response_only=True, status_codes=["400"],
                value={"email": ["Give your e-mail address: we will answer there."], "code": "required"},
            ),
            FILE_TOO_LARGE_EXAMPLE,
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        offline = offline_message_submit(
            queue_id=values["queue"], name=values["name"], email=values["email"], body=values["message"],
            files=values["file"], page_url=values["page"], language=translation.get_language() or "",
        )
        chat = offline.chat
        log_context(chat_id=chat.pk, queue_id=chat.queue_id)
        held = chat.hours_held_at is not None
        output = {
            "chat": chat.pk,
            "email": chat.visitor_email,
            "held": held,
            "next_opening": offline.availability.next_opening if held else None,
            "text": _("We have received your message and will answer you by e-mail at %(email)s.")
            % {"email": chat.visitor_email},
        }
        return Response(self.OutputSerializer(output).data, status=status.HTTP_201_CREATED)
