"""The e-mails of offline messages (issue 17): the acknowledgement a visitor gets for his offline message, and
every agent's reply in an offline chat, sent to the visitor with Django's e-mail backend (``EMAIL_BACKEND``: SMTP
in production, the console on the embedded default, the local memory in the tests).

An outbox, so that no e-mail is lost:

    pending --claim--> sending --> sent      (a ChatEvent: EMAIL_ACKNOWLEDGED or EMAIL_REPLY_SENT)
       ^                  |------> failed    (the recipient was refused, or the attempts ran out)
       '---- an error ----'                  (retried with a growing pause)

* **stored with its cause**: the row (``OfflineEmail``) is written in the transaction that writes the offline chat
  or the agent's reply; if that rolls back, there is no e-mail, and once it commits the e-mail exists, whatever
  happens to the broker or the worker.
* **queued after the commit**: the task ``chat.tasks.send_offline_email`` (``on_commit``, robust); a broker that is
  down leaves the row unqueued (``queued_at`` NULL) for the sweep.
* **claimed** by a conditional update (``pending`` and due -> ``sending``, ``attempts`` + 1): a task delivered twice
  finds nothing to claim; only the attempt that claimed may record its outcome.
* **retried**: an error of the backend (the SMTP server down, a timeout) puts the row back to ``pending`` due after
  ``retry_delay`` (30 s, 1, 2, 4 … min, at most 30) and queues a task with that countdown, ``MAX_ATTEMPTS`` times
  in all; a recipient the server refuses fails at once.
* **the sweep** (``offline_emails_sweep``, a timed rule every 30 s): queues the due rows nobody queued or whose task
  was lost (``QUEUE_GRACE``), and gives back the rows of a worker that died while sending (``CLAIM_TIMEOUT``). Such
  an e-mail may then go twice: a second copy of an e-mail harms less than none (the Messenger outbox decides the
  other way because a Messenger reply shown twice is in the customer's conversation).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from chat.models import Attachment, Chat, ChatEvent, Message, OfflineEmail
from chat.models.conditions import EXPIRED_FILE
from core.services import on_commit_robust

from .availability import opening_phrase
from .hours import Schedule
from .live.publish import live_chat

logger = logging.getLogger(__name__)

S, K = OfflineEmail.Status, OfflineEmail.Kind
SEND_TASK = "chat.tasks.send_offline_email"
MAX_ATTEMPTS = 9  # the first and 8 retries: about 1.5 hours of an unreachable mail server
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 1800  # below the Redis broker's visibility timeout (3600): a countdown task is not given twice
QUEUE_GRACE = timedelta(seconds=60)
CLAIM_TIMEOUT = timedelta(minutes=10)
SWEEP_BATCH = 500
# Files of an agent's reply are attached to its e-mail up to this size in all; larger ones are named only.
ATTACH_MAX_BYTES = 10 * 1024 * 1024
EVENT_OF = {K.ACKNOWLEDGEMENT: ChatEvent.Kind.EMAIL_ACKNOWLEDGED, K.REPLY: ChatEvent.Kind.EMAIL_REPLY_SENT}


def retry_delay(attempt: int) -> timedelta:
    """The pause after the ``attempt``-th failed try: 30 s, 1 min, 2, 4 … at most 30 min."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** (attempt - 1), RETRY_MAX_SECONDS))


# --- stored with its cause ------------------------------------------------------------------------------------


def offline_email_store(
    *, chat: Chat, kind: str, message_id: int | None = None, language: str = "", now: datetime | None = None
) -> OfflineEmail | None:
    """Write the e-mail to the visitor of the offline chat ``chat``, in the caller's transaction, and queue its
    sending after the commit. None when the chat has no e-mail address. ``language``: the visitor's (the
    acknowledgement's, for a reply: every e-mail of a chat speaks the language the visitor wrote in)."""
    if not chat.visitor_email:
        return None
    now = now or timezone.now()
    if not language:
        language = (
            OfflineEmail.objects.filter(chat_id=chat.pk, kind=K.ACKNOWLEDGEMENT).values_list("language", flat=True)
            .first() or settings.LANGUAGE_CODE
        )
    try:
        language = translation.get_supported_language_variant(language)
    except LookupError:
        language = settings.LANGUAGE_CODE
    email = OfflineEmail.objects.create(
        chat_id=chat.pk, message_id=message_id, kind=kind, recipient=chat.visitor_email, language=language,
        created_at=now, next_attempt_at=now, queued_at=now,
    )
    on_commit_robust(offline_email_queue, email_id=email.pk)
    return email


def offline_email_queue(*, email_id: int, countdown: float | None = None) -> bool:
    """Queue one attempt (``chat.tasks.send_offline_email``). With ``CELERY_TASK_ALWAYS_EAGER`` (read now: the
    tests' override works) the first attempt runs here and a retry is left to the sweep. A broker that is down
    leaves the row for the sweep (``queued_at`` NULL). Returns whether it was queued (or ran)."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        if countdown:
            return False
        offline_email_deliver(email_id=email_id)
        return True
    from celery import current_app

    try:
        current_app.send_task(SEND_TASK, args=[email_id], countdown=countdown)
    except Exception as exc:  # kombu raises several kinds; none of them may lose the e-mail
        logger.warning("offline e-mail %s not queued (the sweep will queue it): %s", email_id, exc)
        OfflineEmail.objects.filter(pk=email_id, status=S.PENDING).update(queued_at=None)
        return False
    return True


# --- one attempt ----------------------------------------------------------------------------------------------


def offline_email_deliver(*, email_id: int) -> str:
    """One attempt to send the e-mail, if this caller wins its claim. Returns the status it is left in (or the
    status it had when there was nothing to claim; "missing" when the row is gone)."""
    now = timezone.now()
    claimed = (
        OfflineEmail.objects.filter(pk=email_id, status=S.PENDING)
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
        .update(status=S.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return OfflineEmail.objects.filter(pk=email_id).values_list("status", flat=True).first() or "missing"
    email = OfflineEmail.objects.select_related("chat", "chat__queue").get(pk=email_id)
    attempt = email.attempts
    try:
        offline_email_message(email).send()
    except smtplib.SMTPRecipientsRefused as exc:
        _finish(email, attempt, S.FAILED, error=_error_text(exc))
        logger.warning("offline e-mail %s to chat %s refused by the mail server: %s", email_id, email.chat_id, exc)
        return S.FAILED
    except Exception as exc:  # the backend's (SMTP down, a timeout) or the e-mail's own: try again later
        if attempt < MAX_ATTEMPTS:
            delay = retry_delay(attempt)
            due = timezone.now() + delay
            if _finish(email, attempt, S.PENDING, error=_error_text(exc), next_attempt_at=due, queued_at=due):
                offline_email_queue(email_id=email_id, countdown=delay.total_seconds())
            logger.warning("offline e-mail %s not sent (attempt %s), trying again in %s s: %s", email_id, attempt,
                           int(delay.total_seconds()), exc)
            return S.PENDING
        _finish(email, attempt, S.FAILED, error=_error_text(exc))
        logger.error("offline e-mail %s to chat %s failed after %s attempts: %s", email_id, email.chat_id, attempt,
                     exc)
        return S.FAILED
    _finish(email, attempt, S.SENT)
    return S.SENT


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _finish(email: OfflineEmail, attempt: int, status: str, *, error: str = "",
            next_attempt_at: datetime | None = None, queued_at: datetime | None = None) -> bool:
    """Record attempt ``attempt``'s outcome, if the row is still that attempt's; a sent e-mail writes its event."""
    now = timezone.now()
    with transaction.atomic():
        recorded = OfflineEmail.objects.filter(pk=email.pk, status=S.SENDING, attempts=attempt).update(
            status=status, error=error, next_attempt_at=next_attempt_at, queued_at=queued_at, claimed_at=None,
            sent_at=now if status == S.SENT else None,
        )
        if recorded and status == S.SENT:
            ChatEvent.objects.create(
                chat_id=email.chat_id, kind=EVENT_OF[email.kind], created_at=now,
                data={"email": email.pk, "to": email.recipient, "message": email.message_id},
            )
        if recorded and status in (S.SENT, S.FAILED):
            live_chat("chat.changed", chat_id=email.chat_id, agents=[email.chat.agent_id], email=email.pk,
                      email_status=status, message_id=email.message_id)
    return bool(recorded)


# --- the sweep (a timed rule) ---------------------------------------------------------------------------------


def offline_emails_sweep(*, now: datetime | None = None) -> int:
    """The outbox's safety net: rows left ``sending`` by a worker that died go back to ``pending``; due
    ``pending`` rows that nobody queued, or whose task has not claimed them within ``QUEUE_GRACE``, are queued.
    Returns how many rows it changed. Idle, it reads the partial index of the unsent rows."""
    now = now or timezone.now()
    stale = OfflineEmail.objects.filter(status=S.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
        status=S.PENDING, next_attempt_at=now, queued_at=None, claimed_at=None,
        error=gettext("The sending stopped before the mail server answered; sent again."),
    )
    with transaction.atomic():
        due = (
            OfflineEmail.objects.filter(status=S.PENDING)
            .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - QUEUE_GRACE))
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
        )
        ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
        if ids:
            OfflineEmail.objects.filter(pk__in=ids, status=S.PENDING).update(queued_at=now)
            on_commit_robust(_queue_all, ids)
    if stale or ids:
        logger.info("offline e-mails: %s given back after a stopped worker, %s queued", stale, len(ids))
    return stale + len(ids)


def _queue_all(ids: list[int]) -> None:
    for email_id in ids:
        if not offline_email_queue(email_id=email_id) and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            break  # the broker is down again: the rest waits for the next sweep


# --- what the e-mail says -------------------------------------------------------------------------------------


def offline_email_message(email: OfflineEmail) -> EmailMultiAlternatives:
    """The e-mail (plain text and its HTML alternative), in the visitor's language."""
    chat = email.chat
    schedule = Schedule.of(chat.queue) if chat.queue_id else None
    zone = schedule.zone if schedule is not None else timezone.get_default_timezone()
    # Dates in the queue's time zone (the one its business hours are in), words in the visitor's language.
    with translation.override(email.language), timezone.override(zone):
        context = _context(email, chat, schedule, zone)
        name = "offline_acknowledgement" if email.kind == K.ACKNOWLEDGEMENT else "offline_reply"
        subject = " ".join(render_to_string(f"chat/emails/{name}_subject.txt", context).split())
        context["subject"] = subject
        text = render_to_string(f"chat/emails/{name}.txt", context)
        html = render_to_string(f"chat/emails/{name}.html", context)
    reply_to = [settings.EMAIL_REPLY_TO] if getattr(settings, "EMAIL_REPLY_TO", "") else None
    recipient = formataddr((chat.visitor_name, email.recipient)) if chat.visitor_name else email.recipient
    # The acknowledgement is automatic (RFC 3834: an autoresponder does not answer it); a reply is a person's.
    headers = {"Auto-Submitted": "auto-generated"} if email.kind == K.ACKNOWLEDGEMENT else {}
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [recipient], reply_to=reply_to, headers=headers,
    )
    message.attach_alternative(html, "text/html")
    for attachment in context.get("attached", ()):
        with attachment.file.open("rb") as handle:
            message.attach(attachment.original_name, handle.read(), attachment.content_type or None)
    return message


def _first_client_message(chat: Chat) -> Message | None:
    return (
        Message.objects.for_visitor().filter(chat_id=chat.pk, sender=Message.Sender.CLIENT)
        .prefetch_related("attachments").order_by("created_at", "id").first()
    )


def _context(email: OfflineEmail, chat: Chat, schedule: Schedule | None, zone) -> dict:
    original = _first_client_message(chat)
    context = {
        "chat": chat,
        "visitor_name": chat.visitor_name,
        "number": chat.pk,
        "original": original,
        "original_at": original.created_at if original else None,
        "original_quoted": "\n".join(f"> {line}".rstrip() for line in original.body.splitlines()) if original else "",
        "original_files": [a.original_name for a in original.attachments.all()] if original else [],
        "when": "",
    }
    if email.kind == K.ACKNOWLEDGEMENT:
        # When to expect an answer, as it stood when the visitor wrote: the next opening when the queue was closed.
        if schedule is not None and not schedule.is_open(email.created_at):
            opens = schedule.next_opening(email.created_at)
            if opens is not None:
                context["when"] = opening_phrase(opens, at=email.created_at, zone=zone)
            context["closed"] = True
        return context
    # A reply: the agent's message, as the visitor may see it (never a private note), and its files.
    reply = (
        Message.objects.for_visitor().filter(pk=email.message_id).select_related("author")
        .prefetch_related("attachments").first()
    )
    if reply is None:
        raise ValueError(f"offline e-mail {email.pk}: its message {email.message_id} is gone")
    attached, named, total = [], [], 0
    for attachment in reply.attachments.all():
        usable = attachment.file and not _expired(attachment)
        if usable and total + attachment.size <= ATTACH_MAX_BYTES:
            attached.append(attachment)
            total += attachment.size
        else:
            named.append(attachment.original_name)
    author = reply.author
    context.update(
        reply=reply, agent_name=(author.first_name or author.username) if author else gettext("Our agent"),
        attached=attached, named_files=named,
    )
    return context


def _expired(attachment: Attachment) -> bool:
    return EXPIRED_FILE.holds(attachment, now=timezone.now())
