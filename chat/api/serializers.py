"""Output serializers shared by chat's API views (inputs are nested in each view)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.api.serializers import AgentOutput
from chat.models import (
    Attachment,
    CannedResponse,
    Chat,
    ChatEvent,
    Disposition,
    HoursException,
    Message,
    OpeningHours,
    Queue,
    QueueMembership,
)
from chat.models.conditions import EXPIRED_FILE
from chat.models.schedule import Schedule
from chat.reports.figures import COUNTS, RATINGS, TIMES
from chat.selectors import chat_transfer_note


class QueueMemberOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="agent.username", read_only=True)

    class Meta:
        model = QueueMembership
        fields = ["agent", "username", "priority"]


def _schedule(queue: Queue) -> Schedule:
    """The queue's schedule, read once per answer (the views prefetch its rows)."""
    if not hasattr(queue, "_api_schedule"):
        queue._api_schedule = Schedule.of(queue)
    return queue._api_schedule


class OpenNowMixin(serializers.Serializer):
    """``open_now`` and ``next_opening`` of a queue, read-only (business hours, chat.models.schedule)."""

    open_now = serializers.SerializerMethodField(help_text="Within its business hours now (always, without them).")
    next_opening = serializers.SerializerMethodField(
        help_text="When it opens next: now while open; null when no opening is planned within 400 days."
    )

    def get_open_now(self, queue) -> bool:
        return _schedule(queue).is_open(timezone.now())

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_opening(self, queue):
        opens = _schedule(queue).next_opening(timezone.now())
        return serializers.DateTimeField().to_representation(opens) if opens else None


class QueueOutput(OpenNowMixin, serializers.ModelSerializer):
    members = QueueMemberOutput(source="memberships", many=True, read_only=True)

    class Meta:
        model = Queue
        fields = [
            "id", "name", "description", "active", "answer_target_seconds", "business_hours", "time_zone",
            "offline_without_agents", "offline_reply", "open_now", "next_opening", "members",
        ]


class WeeklyHoursOutput(serializers.ModelSerializer):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


class HoursExceptionOutput(serializers.ModelSerializer):
    class Meta:
        model = HoursException
        fields = ["date", "closed", "opens", "closes", "note"]


class QueueHoursOutput(OpenNowMixin, serializers.ModelSerializer):
    """A queue's business hours: its settings, the weekly schedule and the dated exceptions."""

    queue = serializers.IntegerField(source="pk", read_only=True)
    weekly = WeeklyHoursOutput(source="opening_hours", many=True, read_only=True)
    exceptions = HoursExceptionOutput(source="hours_exceptions", many=True, read_only=True)

    class Meta:
        model = Queue
        fields = [
            "queue", "business_hours", "time_zone", "offline_without_agents", "offline_reply", "open_now",
            "next_opening", "weekly", "exceptions",
        ]


class CannedResponseOutput(serializers.ModelSerializer):
    # Letters of any alphabet ("dzięki"): the model's slug pattern, written as JSON Schema's ASCII-only \w, would
    # tell clients that such a shortcut cannot exist.
    shortcut = serializers.CharField(read_only=True, help_text="Typed after “/” in the reply box: letters (any "
                                                               "alphabet), digits, hyphens and underscores.")

    class Meta:
        model = CannedResponse
        fields = ["id", "scope", "queue", "owner", "shortcut", "title", "body", "created_at", "updated_at"]


class AttachmentOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    expired = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id", "message", "name", "size", "content_type", "created_at", "expires_at", "expired", "download_url"
        ]

    def get_expired(self, obj: Attachment) -> bool:
        return EXPIRED_FILE.holds(obj, now=timezone.now())

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: Attachment) -> str:
        return reverse("api:chat_api:attachment-download", kwargs={"attachment_id": obj.pk})


class MessageOutput(serializers.ModelSerializer):
    attachments = AttachmentOutput(many=True, read_only=True)
    sender = serializers.ChoiceField(
        choices=Message.Sender.choices, read_only=True,
        help_text="client, agent, system, or note: an agent's private note, which the visitor never receives.",
    )
    delivery_status = serializers.ChoiceField(
        choices=Message.Delivery.choices,
        read_only=True,
        help_text=(
            "Messenger replies: pending (waiting to be sent), sending, sent, failed, or unknown (sent, but "
            "Messenger's answer never came: it may have arrived; POST resend/ to send it again). Empty for "
            "other messages."
        ),
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "chat",
            "sender",
            "author",
            "body",
            "created_at",
            "delivery_status",
            "delivery_error",
            "delivery_attempts",
            "attachments",
        ]


class ChatOutput(serializers.ModelSerializer):
    auto_assign_stopped = serializers.SerializerMethodField()
    disposition = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True,
        help_text="What the conversation was about, chosen when it was closed (GET dispositions/); null: none.",
    )
    delivery_failures = serializers.SerializerMethodField(
        help_text="How many agent replies could not be delivered to Messenger."
    )
    last_delivery_error = serializers.SerializerMethodField()
    rating = serializers.IntegerField(
        read_only=True, allow_null=True,
        help_text="The client's satisfaction rating after the chat closed: 1 (very poor) to 5 (excellent); null: "
                  "not rated (docs/ratings.md).",
    )

    class Meta:
        model = Chat
        fields = [
            "id",
            "channel",
            "status",
            "queue",
            "agent",
            "initiator",
            "customer",
            "customer_verified",
            "customer_verified_via",
            "visitor_name",
            "visitor_email",
            "visitor_messenger_id",
            "page_url",
            "created_at",
            "queued_at",
            "assigned_at",
            "auto_assign_stopped",
            "auto_assign_stopped_at",
            "last_message_at",
            "last_client_message_at",
            "closed_at",
            "close_reason",
            "disposition",
            "delivery_failures",
            "last_delivery_error",
            "rating",
            "rating_comment",
            "rated_at",
        ]
        # The rating is the visitor's (the widget, Messenger): read-only here (docs/ratings.md).
        read_only_fields = ["rating", "rating_comment", "rated_at"]

    def get_auto_assign_stopped(self, obj: Chat) -> bool:
        return obj.auto_assign_stopped_at is not None

    def get_delivery_failures(self, obj: Chat) -> int:
        value = getattr(obj, "delivery_failures", None)
        if value is None:
            value = obj.messages.filter(delivery_status=Message.Delivery.FAILED).count()
        return value

    def get_last_delivery_error(self, obj: Chat) -> str:
        failed = (
            obj.messages.filter(delivery_status=Message.Delivery.FAILED).order_by("-id").values_list(
                "delivery_error", flat=True
            ).first()
            if self.get_delivery_failures(obj)
            else None
        )
        return failed or ""


class TransferNoteOutput(serializers.Serializer):
    note = serializers.CharField()
    from_agent = serializers.IntegerField(allow_null=True)
    from_agent_name = serializers.CharField()
    created_at = serializers.DateTimeField()


class TimelineEntryOutput(serializers.Serializer):
    """One event of a chat in plain words (``chat.selectors.chat_timeline``); the names are empty when the id is
    null, an id whose user was removed is named "a removed user"."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=ChatEvent.Kind.choices)
    kind_label = serializers.CharField(help_text="The kind as people read it, in the answer's language.")
    text = serializers.CharField(
        help_text="What happened and why, as one sentence in the answer's language (Accept-Language: pl or en)."
    )
    actor = serializers.IntegerField(allow_null=True, help_text="The user who did it; null: the system.")
    actor_name = serializers.CharField()
    agent = serializers.IntegerField(allow_null=True, help_text="The agent the chat went to (or concerns).")
    agent_name = serializers.CharField()
    from_agent = serializers.IntegerField(allow_null=True, help_text="Transfers: the agent it came from.")
    from_agent_name = serializers.CharField()
    queue = serializers.IntegerField(allow_null=True)
    queue_name = serializers.CharField()
    strategy = serializers.CharField(
        help_text="Assignments: who decided — owner, queue_priority, last_agent, fewest_open_chats, "
                  "longest_unassigned, only_eligible, lowest_id (every rule tied) or manual."
    )
    strategy_label = serializers.CharField()
    runner_up = serializers.IntegerField(
        allow_null=True, help_text="Automatic assignments: the agent ranked next (null when there was none)."
    )
    runner_up_name = serializers.CharField()
    reason = serializers.CharField(
        help_text="Transfers: manual, no_reply, agent_logged_out, no_inbox…; closes: agent, client, inactivity, "
                  "admin, system."
    )
    note = serializers.CharField(help_text="Transfers: the note for the next agent (empty when none).")


class ChatDetailOutput(ChatOutput):
    """One chat: also the note of the transfer that brought it to its current holder (null when none)."""

    transfer_note = serializers.SerializerMethodField()

    class Meta(ChatOutput.Meta):
        fields = [*ChatOutput.Meta.fields, "transfer_note"]

    @extend_schema_field(TransferNoteOutput(allow_null=True))
    def get_transfer_note(self, obj: Chat) -> dict | None:
        note = chat_transfer_note(chat=obj)
        return TransferNoteOutput(note).data if note else None


class DispositionOutput(serializers.ModelSerializer):
    class Meta:
        model = Disposition
        fields = ["id", "name", "active", "order"]


class AgentTodayOutput(serializers.Serializer):
    """``chat.reports.agents_today.AgentToday``: the agent's state and today's figures (docs/api.md)."""

    state = serializers.ChoiceField(
        choices=["logged_out", "available", "paused", "on_phone_call", "full"],
        help_text="Precedence: logged_out, paused, on_phone_call, full (open chats at the maximum), available.",
    )
    state_since = serializers.DateTimeField(allow_null=True, help_text="His latest presence change.")
    open_chats = serializers.IntegerField()
    max_chats = serializers.IntegerField(help_text="The card's maximum of concurrent chats.")
    chats_today = serializers.IntegerField(help_text="Customer chats assigned or transferred to him today.")
    answered_today = serializers.IntegerField(help_text="Of those, the chats with an agent message.")
    median_first_response_seconds = serializers.FloatField(
        allow_null=True, help_text="Median first-response time of those first assigned today (null: none)."
    )


class AgentMembershipOutput(serializers.ModelSerializer):
    queue_name = serializers.CharField(source="queue.name", read_only=True)

    class Meta:
        model = QueueMembership
        fields = ["queue", "queue_name", "priority"]


class AgentFullOutput(AgentOutput):
    """An agent as the agents API shows him: presence, queues with priorities and ``today`` (the view passes
    ``agents_today``'s answer for the agents shown as ``context["today"]``)."""

    memberships = AgentMembershipOutput(many=True, read_only=True)
    today = serializers.SerializerMethodField()

    class Meta(AgentOutput.Meta):
        fields = [*AgentOutput.Meta.fields, "memberships", "today"]

    @extend_schema_field(AgentTodayOutput(allow_null=True))
    def get_today(self, obj):
        today = self.context.get("today", {}).get(obj.pk)
        return AgentTodayOutput(today).data if today is not None else None

class ReportListItemOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The report's code, in its URL.")
    title = serializers.CharField()
    dimension = serializers.CharField(help_text="What one row is (hour, day, queue, agent …).")
    description = serializers.CharField()
    url = serializers.CharField()


def _report_row_fields() -> dict:
    fields = {
        "key": serializers.CharField(
            allow_null=True, help_text="The row's stable key: the hour (0–23), the day (YYYY-MM-DD), the queue's, "
                                       "agent's or disposition's id, the channel's code; null for none."),
        "label": serializers.CharField(help_text="The row's name as the page shows it."),
    }
    for code, label in COUNTS:
        fields[code] = serializers.IntegerField(help_text=str(label))
    for code, label in TIMES:
        fields[code] = serializers.FloatField(allow_null=True, help_text=str(label))
    rated, average = RATINGS
    fields[rated[0]] = serializers.IntegerField(help_text=str(rated[1]))
    fields[average[0]] = serializers.FloatField(
        allow_null=True, help_text=f"{average[1]}: the mean score of the rated chats; null when none was rated."
    )
    return fields


# Built with type(): "from" is a Python keyword, so it cannot be a class attribute.
ReportRowOutput = type("ReportRowOutput", (serializers.Serializer,), _report_row_fields())
ReportOutput = type("ReportOutput", (serializers.Serializer,), {
    "__doc__": "A report: the range asked for and one row per group; the figures of docs/reports.md.",
    "name": serializers.CharField(),
    "title": serializers.CharField(),
    "dimension": serializers.CharField(),
    "from": serializers.DateField(),
    "to": serializers.DateField(),
    "time_zone": serializers.CharField(help_text="The site's time zone the dates and hours are in."),
    "queue": serializers.IntegerField(allow_null=True),
    "channel": serializers.CharField(allow_null=True),
    "columns": serializers.ListField(child=serializers.CharField(), help_text="The measures' codes, in order."),
    "rows": ReportRowOutput(many=True),
})
