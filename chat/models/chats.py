"""Chats, their messages and attachments (their history: ``events.py``)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.conditions import Where

# The visitor's satisfaction rating of a closed chat (docs/ratings.md): a score from RATING_MIN to RATING_MAX and
# an optional comment of at most RATING_COMMENT_MAX characters. Bounded by the model, the services and the database.
RATING_MIN = 1
RATING_MAX = 5
RATING_COMMENT_MAX = 1000

# An open chat: anything but closed. Defined here (not in ``conditions.py``, which re-exports it) because the
# partial indexes and constraints below are over it.
OPEN = Where(status__ne="closed")


class ChatQuerySet(models.QuerySet):
    def open(self):
        return self.filter(OPEN.q())

    def waiting(self):
        return self.filter(status=Chat.Status.WAITING)

    def assigned(self):
        return self.filter(status=Chat.Status.ASSIGNED)

    def closed(self):
        return self.filter(status=Chat.Status.CLOSED)



class Chat(models.Model):
    class Channel(models.TextChoices):
        WEBSITE = "website", _("Website")
        MESSENGER = "messenger", _("Facebook Messenger")
        INTERNAL = "internal", _("Internal")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        ASSIGNED = "assigned", _("Assigned")
        CLOSED = "closed", _("Closed")

    class CloseReason(models.TextChoices):
        AGENT = "agent", _("Closed by the agent")
        CLIENT = "client", _("Closed by the client")
        INACTIVITY = "inactivity", _("Inactivity")
        ADMIN = "admin", _("Closed by an administrator")
        SYSTEM = "system", _("Closed by the system")

    class Verification(models.TextChoices):
        """How the visitor's identity (and so the link to the CRM customer) was verified; empty = a claim."""

        NONE = "", _("Not verified (a claim)")
        SIGNED_EMAIL = "signed_email", _("E-mail signed by the host page")
        MESSENGER = "messenger", _("Messenger id from a signed event")
        INTEGRATION = "integration", _("Vouched for by an integration")
        AGENT = "agent", _("Confirmed by an agent")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WAITING)
    queue = models.ForeignKey(
        "chat.Queue", on_delete=models.PROTECT, null=True, blank=True, related_name="chats", verbose_name=_("queue")
    )
    customer = models.ForeignKey(
        "crm.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chats",
        verbose_name=_("customer"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chats",
        verbose_name=_("agent"),
    )
    # Internal chats: the colleague who started it (``agent`` is the other one).
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="initiated_chats",
        verbose_name=_("started by"),
    )

    # Visitor identity as given before the chat (widget pre-chat form, Messenger).
    visitor_name = models.CharField(_("visitor's name"), max_length=200, blank=True)
    visitor_email = models.EmailField(_("visitor's e-mail"), blank=True)
    visitor_messenger_id = models.CharField(_("Messenger id"), max_length=64, blank=True)
    # The widget's stable browser key (one open chat per key) and the hash of
    # the per-chat visitor token (the token itself is never stored).
    visitor_key = models.CharField(_("visitor key"), max_length=64, blank=True)
    visitor_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    page_url = models.URLField(_("page"), max_length=1000, blank=True)
    # An e-mail typed into the widget is a claim: it may route the chat (the customer's owner), but the
    # customer's details, earlier chats and VIP priority follow only from a verified identity
    # (docs/decisions.md, "Identity: a typed e-mail is a claim").
    customer_verified = models.BooleanField(
        _("identity verified"),
        default=False,
        help_text=_("The visitor proved to be the CRM customer (or the owner of the e-mail) linked to this chat."),
    )
    customer_verified_via = models.CharField(
        _("verified by"), max_length=16, choices=Verification.choices, blank=True, default=Verification.NONE
    )

    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    # The figures of SPEC.md ("Figures"): kept through transfers and requeues, set once.
    first_assigned_at = models.DateTimeField(_("first assigned at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first agent message at"), null=True, blank=True)
    auto_assign_stopped_at = models.DateTimeField(_("automatic assignment stopped at"), null=True, blank=True)
    # Business hours (chat.services.hours): a chat started while its queue was closed waits, held, for the next
    # opening; dispatch leaves it alone until the release rule queues it then (``queued_at`` = the opening).
    hours_held_at = models.DateTimeField(_("held for business hours since"), null=True, blank=True)
    # An offline message (the widget's offline form): the visitor is not on the page; replies go by e-mail.
    offline = models.BooleanField(_("offline message"), default=False)
    # Messenger outside business hours: when the automatic reply was sent (once per closed period).
    offline_reply_sent_at = models.DateTimeField(_("automatic reply sent at"), null=True, blank=True)
    # Website: when the page was reported closed, and the widget's last heartbeat.
    page_closed_at = models.DateTimeField(_("page closed at"), null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat at"), null=True, blank=True)
    last_client_message_at = models.DateTimeField(_("client's last message at"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    # No-reply rule: since when the client waits for the assigned agent's answer
    # (NULL when nothing is unanswered), and whether the current agent answered.
    awaiting_reply_since = models.DateTimeField(_("awaiting reply since"), null=True, blank=True)
    agent_replied_at = models.DateTimeField(_("agent replied at"), null=True, blank=True)
    agent_read_at = models.DateTimeField(_("agent read at"), null=True, blank=True)
    welcome_sent_at = models.DateTimeField(_("welcome message sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=16, choices=CloseReason.choices, blank=True)
    # What the conversation was about, chosen by the person who closed it (the reports count by it). PROTECT: a
    # disposition that was used is switched off (``active``), never deleted, so the reports keep their names.
    disposition = models.ForeignKey(
        "chat.Disposition", on_delete=models.PROTECT, null=True, blank=True, related_name="chats",
        verbose_name=_("disposition"),
    )

    # The visitor's satisfaction rating, given once after the chat closed (chat.services.ratings.chat_rate).
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
        help_text=_("The client's rating of the conversation: 1 (very poor) to 5 (excellent); empty: not rated."),
    )
    rating_comment = models.CharField(_("rating comment"), max_length=RATING_COMMENT_MAX, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    objects = ChatQuerySet.as_manager()

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open widget chat per browser key, one open Messenger chat per
            # sender: two simultaneous starts end in one chat.
            models.UniqueConstraint(
                fields=["visitor_key"],
                condition=OPEN.q() & Q(channel="website") & ~Q(visitor_key=""),
                name="chat_one_open_per_visitor_key",
            ),
            models.UniqueConstraint(
                fields=["visitor_messenger_id"],
                condition=OPEN.q() & Q(channel="messenger") & ~Q(visitor_messenger_id=""),
                name="chat_one_open_per_messenger_id",
            ),
            models.CheckConstraint(
                condition=Q(status="assigned", agent__isnull=False) | ~Q(status="assigned"),
                name="chat_assigned_has_agent",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                name="chat_closed_has_closed_at",
            ),
            # A rating is a score of 1 to 5, given to a closed customer chat, with the time it came.
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (
                    Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX, rated_at__isnull=False, status="closed")
                    & ~Q(channel="internal")
                ),
                name="chat_rating_1_to_5_when_closed",
            ),
        ]
        indexes = [
            # Dispatch: waiting chats by queue and queue time.
            models.Index(fields=["queue", "queued_at"], name="chat_waiting_queue_idx", condition=Q(status="waiting")),
            models.Index(fields=["queued_at"], name="chat_waiting_idx", condition=Q(status="waiting")),
            # Waiting chats still auto-assigned (stop auto-assign rule, dispatch): without it every idle
            # sweep reads all the halted chats, which stay in chat_waiting_idx until someone assigns them.
            models.Index(
                fields=["queued_at"],
                name="chat_waiting_auto_idx",
                condition=Q(status="waiting", auto_assign_stopped_at__isnull=True, hours_held_at__isnull=True),
            ),
            # Held for business hours (the release rule), by queue.
            models.Index(
                fields=["queue", "created_at"],
                name="chat_held_for_hours_idx",
                condition=Q(status="waiting", hours_held_at__isnull=False),
            ),
            # Open chats per agent.
            models.Index(fields=["agent", "status"], name="chat_agent_open_idx", condition=OPEN.q()),
            # A customer's chats, a visitor's earlier chats.
            models.Index(fields=["customer", "-created_at"], name="chat_customer_idx"),
            models.Index(fields=["visitor_email", "-created_at"], name="chat_visitor_email_idx"),
            # Routing's "last talked with the client" for visitors without a CRM customer.
            models.Index(fields=["visitor_messenger_id", "-created_at"], name="chat_visitor_messenger_idx"),
            models.Index(fields=["visitor_key", "-created_at"], name="chat_visitor_key_idx"),
            # Purge: closed chats by closing time.
            models.Index(fields=["closed_at"], name="chat_closed_at_idx", condition=Q(status="closed")),
            # Timed rules over open chats.
            models.Index(fields=["channel", "page_closed_at"], name="chat_open_page_closed_idx", condition=OPEN.q()),
            models.Index(fields=["channel", "last_heartbeat_at"], name="chat_open_heartbeat_idx", condition=OPEN.q()),
            models.Index(
                fields=["channel", "last_client_message_at"], name="chat_open_client_msg_idx", condition=OPEN.q()
            ),
            models.Index(fields=["channel", "last_message_at"], name="chat_open_last_msg_idx", condition=OPEN.q()),
            # Offline messages answered (close inactive: the website's time after the first answer).
            models.Index(
                fields=["channel", "first_response_at"], name="chat_open_offline_idx",
                condition=OPEN.q() & Q(offline=True),
            ),
            models.Index(
                fields=["awaiting_reply_since"],
                name="chat_awaiting_reply_idx",
                condition=Q(status="assigned", awaiting_reply_since__isnull=False),
            ),
            # Reports (chat.reports): the customer chats started in a range. created_at only, never changed, so the
            # chat's updates stay HOT; a covering index (status, the figures' columns) would index columns that every
            # assignment, reply and close changes (docs/reports.md, "Speed").
            models.Index(fields=["created_at"], name="chat_report_idx", condition=~Q(channel="internal")),
        ]

    def __str__(self) -> str:
        who = self.visitor_name or self.visitor_email or (self.customer and str(self.customer)) or ""
        return f"#{self.pk} {self.get_channel_display()} {who}".strip()

    @property
    def is_open(self) -> bool:
        return OPEN.holds(self)


class MessageQuerySet(models.QuerySet):
    def for_visitor(self):
        """What the visitor may receive: everything but the agents' private notes. Every way out to the visitor
        (the widget's list and push, a file download, the Messenger outbox) reads messages through this."""
        return self.exclude(sender=Message.Sender.NOTE)


class Message(models.Model):
    class Sender(models.TextChoices):
        CLIENT = "client", _("Client")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")
        # An agent's private note inside the chat: the agents see it, the visitor never does
        # (docs/decisions.md "Private notes").
        NOTE = "note", _("Private note")

    class Delivery(models.TextChoices):
        """The outbox of a reply to an external channel (Messenger), docs/decisions.md "Messenger outbox".

        pending -> sending (claimed by one worker) -> sent | failed | unknown | pending (Graph provably not
        reached: retried at ``delivery_next_attempt_at``). unknown and failed change only when an agent
        sends the reply again (back to pending).
        """

        NOT_APPLICABLE = "", _("Not applicable")
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Not confirmed")

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages", verbose_name=_("chat"))
    sender = models.CharField(_("sender"), max_length=16, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # The channel's own id of the message (Messenger "mid"): the database keeps
    # a redelivered event from being stored twice.
    external_id = models.CharField(_("external id"), max_length=255, null=True, blank=True, unique=True)
    # Outgoing delivery to an external channel (Messenger Send API).
    delivery_status = models.CharField(
        _("delivery"), max_length=16, choices=Delivery.choices, blank=True, default=Delivery.NOT_APPLICABLE
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    # Every claim adds one; the worker that made attempt N may finish only attempt N (the fence).
    delivery_attempts = models.PositiveIntegerField(_("delivery attempts"), default=0)
    # pending: not before this time (the backoff of a retry).
    delivery_next_attempt_at = models.DateTimeField(_("next delivery attempt"), null=True, blank=True)
    # pending: when its task was queued (or is expected, for a retry's countdown); NULL when nobody could
    # queue it (the broker was down). The outbox sweep queues a due reply with none, or with an old one.
    delivery_queued_at = models.DateTimeField(_("delivery queued at"), null=True, blank=True)
    # sending: when a worker claimed it; a claim older than the send timeout plus a margin is a worker
    # that died mid-request, and the sweep marks the reply unknown.
    delivery_claimed_at = models.DateTimeField(_("delivery claimed at"), null=True, blank=True)
    # Messenger's quick replies sent with this message (the rating question's "1" … "5"): a list of
    # {"title", "payload"}; NULL for every other message.
    quick_replies = models.JSONField(_("quick replies"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["chat", "created_at", "id"], name="message_chat_idx"),
            # The outbox sweep's two questions, each a range on a small partial index.
            models.Index(fields=["delivery_next_attempt_at"], name="message_outbox_pending_idx",
                         condition=Q(delivery_status="pending")),
            models.Index(fields=["delivery_claimed_at"], name="message_outbox_sending_idx",
                         condition=Q(delivery_status="sending")),
            # /metrics counts the replies that failed or were left unconfirmed at every scrape (few rows).
            models.Index(fields=["delivery_status"], name="message_delivery_trouble_idx",
                         condition=Q(delivery_status__in=["failed", "unknown"])),
        ]

    def __str__(self) -> str:
        return f"{self.get_sender_display()}: {self.body[:50]}"


class Disposition(models.Model):
    """What a closed conversation was about ("Order status", "Complaint" …): an admin-managed list the person
    closing a chat chooses from (required when the card says so)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True, help_text=_("Only active dispositions can be chosen."))
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Lower numbers are listed first."))

    class Meta:
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{timezone.now():%Y/%m/%d}/{instance.token}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    # Random, unguessable id used in download links.
    token = models.CharField(max_length=64, unique=True, editable=False)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size [bytes]"))
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    expires_at = models.DateTimeField(_("available until"))
    expired_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["expires_at"], name="attachment_due_idx", condition=Q(expired_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.original_name
