"""What a waiting or handed-over chat's page says: why it waits (and the same for many chats at once, the live
floor), whether a person may assign it to himself, the transfer note, the dispositions to close with."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, QuerySet, TextChoices
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agents.models import ACTIVE_AGENT, Presence, User
from chat.models import (
    Chat,
    ChatEvent,
    ChatSettings,
    Disposition,
    NoReplyExclusion,
    Queue,
    QueueMembership,
)
from chat.models.conditions import LOGGED_IN_WITH_FREE_SLOT, available_with_free_slot
from chat.models.schedule import Schedule
from crm.models import Customer


class WaitingReason(TextChoices):
    """Why a waiting chat has no agent yet (``chat_waiting_reason``): what the chat's page tells the agent, and
    what a supervisor's view can show beside each waiting chat."""

    HELD_FOR_HOURS = "held_for_hours", _(
        "Waiting for the queue's business hours: it is queued when the queue opens."
    )
    AUTO_ASSIGN_STOPPED = "auto_assign_stopped", _(
        "Automatic assignment has stopped for this chat: it waits until someone presses Assign."
    )
    NO_AGENT_LOGGED_IN = "no_agent_logged_in", _("No agent of the queue is logged in.")
    ALL_PAUSED = "all_paused", _("Every agent of the queue who is logged in is on a pause or on a phone call.")
    ALL_FULL = "all_full", _("Every available agent of the queue already has the maximum of open chats.")
    ONLY_EXCLUDED = "only_excluded", _(
        "Only agents who did not reply in this chat are free: it goes back to one of them at once."
    )
    BEING_ASSIGNED = "being_assigned", _("An agent of the queue is free: the chat is being assigned to him.")


# "Available" without the capacity: ``available_with_free_slot`` with a maximum no agent reaches.
_NO_MAXIMUM = 2**31 - 1


def chat_waiting_reason(*, chat: Chat, card: ChatSettings | None = None) -> WaitingReason | None:
    """Why the waiting customer chat ``chat`` has no agent (None when it is not waiting): one query.

    Read with the routing's own definitions over the agents who could take it — the active members of its
    queue and its customer's owner (docs/routing.md, "Eligibility") — in this order: automatic assignment
    stopped; none of them logged in; every one logged in is paused (or on a phone call with parameter 6 off);
    every available one is full; only agents the no-reply rule took it from are free (dispatch gives it back
    to one of them, docs/routing.md "No-reply exclusions", so this lasts only until that dispatch); else an
    agent is free and dispatch is about to assign it (it runs after every change that frees one)."""
    if chat.status != Chat.Status.WAITING or chat.channel == Chat.Channel.INTERNAL:
        return None
    if chat.hours_held_at is not None:
        return WaitingReason.HELD_FOR_HOURS
    if chat.auto_assign_stopped_at is not None:
        return WaitingReason.AUTO_ASSIGN_STOPPED
    card = card or ChatSettings.load()
    counts = Presence.objects.filter(
        Q(agent_id__in=QueueMembership.objects.filter(queue_id=chat.queue_id).values("agent_id"))
        | Q(agent_id__in=Customer.objects.filter(pk=chat.customer_id, owner__isnull=False).values("owner_id")),
        agent_id__in=User.objects.filter(ACTIVE_AGENT.q()).values("pk"),
    ).aggregate(**_reason_counts(card, excluded=NoReplyExclusion.objects.filter(chat_id=chat.pk).values("agent_id")))
    return _reason_of(counts)


def _reason_counts(card: ChatSettings, *, excluded=None) -> dict:
    """The counts ``_reason_of`` reads, as aggregates over Presence rows (``excluded``: the agents taken off the
    chat by the no-reply rule, a subquery; None: nobody)."""
    available = available_with_free_slot(allow_phone_call=card.assign_during_phone_call)
    free = available.q(max=card.max_concurrent_chats)
    return {
        "n_logged_in": Count("pk", filter=Q(logged_in=True)),
        "n_available": Count("pk", filter=available.q(max=_NO_MAXIMUM)),
        "n_free": Count("pk", filter=free),
        "n_free_not_excluded": Count("pk", filter=free & ~Q(agent_id__in=excluded))
        if excluded is not None else Count("pk", filter=free),
    }


def _reason_of(counts: dict) -> WaitingReason:
    if not counts["n_logged_in"]:
        return WaitingReason.NO_AGENT_LOGGED_IN
    if not counts["n_available"]:
        return WaitingReason.ALL_PAUSED
    if not counts["n_free"]:
        return WaitingReason.ALL_FULL
    if not counts["n_free_not_excluded"]:
        return WaitingReason.ONLY_EXCLUDED
    return WaitingReason.BEING_ASSIGNED


def waiting_reasons(*, chats: list[Chat], card: ChatSettings | None = None) -> dict[int, WaitingReason]:
    """``chat_waiting_reason`` for many waiting chats at once (the live floor): one query for all the chats of
    plain queues, read from the counts per queue; a chat whose customer has an owner or that the no-reply rule
    took from somebody (the two things that make a chat's agents differ from its queue's) gets its own query."""
    card = card or ChatSettings.load()
    reasons: dict[int, WaitingReason] = {}
    waiting = [c for c in chats if c.status == Chat.Status.WAITING and c.channel != Chat.Channel.INTERNAL]
    excluded = set(
        NoReplyExclusion.objects.filter(chat_id__in=[c.pk for c in waiting]).values_list("chat_id", flat=True)
    )
    owned = set(
        Chat.objects.filter(pk__in=[c.pk for c in waiting if c.customer_id], customer__owner__isnull=False)
        .values_list("pk", flat=True)
    )
    plain = []
    for chat in waiting:
        if chat.hours_held_at is not None:
            reasons[chat.pk] = WaitingReason.HELD_FOR_HOURS
        elif chat.auto_assign_stopped_at is not None:
            reasons[chat.pk] = WaitingReason.AUTO_ASSIGN_STOPPED
        elif chat.pk in excluded or chat.pk in owned:
            reasons[chat.pk] = chat_waiting_reason(chat=chat, card=card)
        else:
            plain.append(chat)
    per_queue = {
        row["queue"]: row
        for row in Presence.objects.filter(
            agent__memberships__queue_id__in={c.queue_id for c in plain},
            agent_id__in=User.objects.filter(ACTIVE_AGENT.q()).values("pk"),
        ).values(queue=F("agent__memberships__queue_id")).annotate(**_reason_counts(card)).order_by()
    }
    nobody = {"n_logged_in": 0, "n_available": 0, "n_free": 0, "n_free_not_excluded": 0}
    for chat in plain:
        reasons[chat.pk] = _reason_of(per_queue.get(chat.queue_id, nobody))
    return reasons


def held_openings(*, chats: list[Chat], now: dt.datetime | None = None) -> dict[int, dt.datetime | None]:
    """When the queue of each chat held for business hours opens next (None: no opening within the schedule's
    horizon), read once per queue (two queries in all); chats not held are left out."""
    held = [chat for chat in chats if chat.hours_held_at is not None and chat.status == Chat.Status.WAITING]
    if not held:
        return {}
    now = now or timezone.now()
    queues = Queue.objects.filter(pk__in={chat.queue_id for chat in held}).prefetch_related(
        "opening_hours", "hours_exceptions"
    )
    opens = {queue.pk: Schedule.of(queue).next_opening(now) for queue in queues}
    return {chat.pk: opens.get(chat.queue_id) for chat in held}


def opening_words(opens: dt.datetime | None, *, now: dt.datetime | None = None) -> str:
    """"opens Mon 08:00" (on the site's clock, in the current language; the date too when it is a week or more
    away), "no opening is planned" when the schedule has none."""
    if opens is None:
        return gettext("no opening is planned")
    now = now or timezone.now()
    local = timezone.localtime(opens)
    when = formats.date_format(local, "D H:i" if opens - now < dt.timedelta(days=6) else "D j M H:i")
    return gettext("opens %(when)s") % {"when": when}


def chat_held_opening(*, chat: Chat) -> str:
    """The words of a held chat's next opening for its page ("opens Mon 08:00"), "" for a chat not held."""
    opens = held_openings(chats=[chat])
    return opening_words(opens[chat.pk]) if chat.pk in opens else ""


def chat_self_assign_refusal(*, user, chat: Chat, card: ChatSettings | None = None) -> str:
    """Why ``chat_assign`` would refuse ``user`` assigning ``chat`` to himself, as the service's error code
    (``closed``, ``internal``, ``taken``, ``unknown_agent``, ``agent_logged_out``, ``agent_full``), or "" when it
    would accept: so that a page offers "Assign" exactly where pressing it works. The same checks in the same
    order (a pause, a phone call, queue membership or a no-reply exclusion do not stop a person's decision);
    the chat must be one the user may see (``chats_visible_to`` ⊂ ``chats_assignable_by``)."""
    if chat.status == Chat.Status.CLOSED:
        return "closed"
    if chat.channel == Chat.Channel.INTERNAL:
        return "internal"
    if chat.status == Chat.Status.ASSIGNED:
        return "taken"
    if not ACTIVE_AGENT.holds(user):
        return "unknown_agent"
    card = card or ChatSettings.load()
    presence = Presence.objects.filter(agent_id=user.pk).first()
    if presence is None or not presence.logged_in:
        return "agent_logged_out"
    if not LOGGED_IN_WITH_FREE_SLOT.holds(presence, max=card.max_concurrent_chats):
        return "agent_full"
    return ""


def chat_transfer_note(*, chat: Chat) -> dict | None:
    """The note of the chat's latest transfer, for whoever holds the chat now: shown at the top of the open chat
    (inbox) and in the API's chat detail while the chat is open and no later transfer replaced it (a transfer
    without a note clears it). ``{"note", "from_agent", "from_agent_name", "created_at"}`` or None (one query)."""
    if not chat.is_open:
        return None
    event = (
        ChatEvent.objects.filter(chat_id=chat.pk, kind=ChatEvent.Kind.TRANSFERRED)
        .select_related("from_agent")
        .order_by("-created_at", "-id")
        .first()
    )
    note = (event.data or {}).get("note") if event is not None else None
    if not note:
        return None
    return {
        "note": note,
        "from_agent": event.from_agent_id,
        "from_agent_name": event.from_agent.display_name if event.from_agent_id else "",
        "created_at": event.created_at,
    }


def dispositions_active() -> QuerySet[Disposition]:
    """The dispositions a person closing a chat chooses from, in the admin's order."""
    return Disposition.objects.filter(active=True).order_by("order", "name")
