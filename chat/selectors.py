"""Read-only queries used by views, the API and the inbox (no side effects)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, TextChoices, Value, When
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from psycopg import sql

from agents.models import ACTIVE_AGENT, PauseType, Presence, User
from chat.models import (
    CannedResponse,
    Chat,
    ChatEvent,
    ChatSettings,
    ChatStrategyStep,
    Disposition,
    NoReplyExclusion,
    QueueMembership,
)
from chat.models.conditions import DISPATCHABLE_CHAT, LOGGED_IN_WITH_FREE_SLOT, available_with_free_slot
from chat.models.strategies import LOWEST_ID, MANUAL, ONLY_ELIGIBLE, AgentStrategyCode
from chat.routing.chat_order import chat_order_sql
from crm.models import Customer

CUSTOMER_CHANNELS = [Chat.Channel.WEBSITE, Chat.Channel.MESSENGER]


def queue_ids_of(*, user) -> QuerySet:
    """The ids of the queues the user is a member of (a subquery)."""
    return QueueMembership.objects.filter(agent_id=user.pk).values("queue_id")


def chats_visible_to(*, user) -> QuerySet[Chat]:
    """The one rule of who may see which chat, for the API and the inbox alike (anything else is a 404).

    Staff: every chat. An agent: customer chats assigned to him (and his earlier ones), waiting chats of
    his queues and of customers he owns (the owner is eligible without membership), his internal chats.
    """
    chats = Chat.objects.all()
    if user.is_staff:
        return chats
    my_queues = queue_ids_of(user=user)
    # The owned customers as a subquery, not a join: with a LEFT JOIN inside the OR, PostgreSQL spent about
    # 1.3 ms planning the rule for 0.03 ms of running it (0.15 ms this way; docs/performance.md).
    my_customers = Customer.objects.filter(owner_id=user.pk).values("pk")
    return chats.filter(
        Q(channel__in=CUSTOMER_CHANNELS, agent_id=user.pk)
        | Q(status=Chat.Status.WAITING, queue_id__in=my_queues)
        | Q(status=Chat.Status.WAITING, customer_id__in=my_customers)
        | Q(channel=Chat.Channel.INTERNAL, initiator_id=user.pk)
        | Q(channel=Chat.Channel.INTERNAL, agent_id=user.pk)
    )


def chats_assignable_by(*, user) -> QuerySet[Chat]:
    """Chats the user may press "Assign" on: the visible ones plus customer chats of his queues whatever
    their status, so that a chat a colleague has just taken gets the service's clear refusal ("already
    taken") instead of a 404."""
    if user.is_staff:
        return Chat.objects.all()
    return Chat.objects.filter(
        Q(pk__in=chats_visible_to(user=user).values("pk"))
        | Q(queue_id__in=queue_ids_of(user=user), channel__in=CUSTOMER_CHANNELS)
    )


def customers_visible_to(*, user) -> QuerySet[Customer]:
    """The one rule of which CRM customers a user may read (API; the inbox card follows the same idea).

    Staff: every customer. An agent: the customers he owns, and those linked by a *verified* link to a
    chat he may see. A visitor typing a customer's e-mail into the widget gives the agent nothing more:
    the link stays a claim until it is verified (docs/decisions.md, "Identity: a typed e-mail is a claim").
    """
    if user.is_staff:
        return Customer.objects.all()
    verified = chats_visible_to(user=user).filter(customer_verified=True, customer__isnull=False)
    return Customer.objects.filter(Q(owner_id=user.pk) | Q(pk__in=verified.values("customer_id")))


def canned_visible_to(*, user) -> QuerySet[CannedResponse]:
    """The canned responses a user may read (API): staff every one; an agent the global ones, those of his
    queues and his own personal ones (another agent's personal responses are his alone)."""
    canned = CannedResponse.objects.select_related("queue", "owner")
    if user.is_staff:
        return canned
    return canned.filter(_canned_applying(user=user, queue_ids=queue_ids_of(user=user)))


def _canned_applying(*, user, queue_ids) -> Q:
    """The canned responses that apply to ``user`` in the queues ``queue_ids``: the global ones, those of those
    queues, his own personal ones (the API asks with all his queues, the reply box with its chat's)."""
    return (
        Q(scope=CannedResponse.Scope.GLOBAL)
        | Q(scope=CannedResponse.Scope.QUEUE, queue_id__in=queue_ids)
        | Q(scope=CannedResponse.Scope.PERSONAL, owner_id=user.pk)
    )


def canned_for_chat(*, user, chat: Chat, query: str = "") -> QuerySet[CannedResponse]:
    """The canned responses the reply box offers ``user`` in ``chat``: global, the chat's queue's, his own
    (not those of his other queues: they are meant for their queue's chats). The agent's own come first, then
    the queue's, then the global ones, each by shortcut; ``query`` keeps those whose shortcut or title
    contains it."""
    canned = CannedResponse.objects.filter(_canned_applying(user=user, queue_ids=[chat.queue_id]))
    query = query.strip().lstrip("/")
    if query:
        canned = canned.filter(Q(shortcut__icontains=query) | Q(title__icontains=query))
    rank = Case(
        When(scope=CannedResponse.Scope.PERSONAL, then=Value(0)),
        When(scope=CannedResponse.Scope.QUEUE, then=Value(1)),
        default=Value(2),
    )
    return canned.annotate(scope_rank=rank).order_by("scope_rank", "shortcut", "id")


def live_listener_get(*, user_id: int):
    """The user behind an inbox socket, loaded again for each event: a deactivated user hears nothing more."""
    return User.objects.filter(pk=user_id, is_active=True).only("is_active", "is_staff").order_by().first()


def live_chat_visible(*, user, chat_id: int) -> bool:
    """May ``user`` hear of chat ``chat_id``? The same rule as every page and the API (chats_visible_to)."""
    return chats_visible_to(user=user).filter(pk=chat_id).exists()


def live_queue_ids(*, user) -> list[int]:
    return list(queue_ids_of(user=user).values_list("queue_id", flat=True))


class WaitingReason(TextChoices):
    """Why a waiting chat has no agent yet (``chat_waiting_reason``): what the chat's page tells the agent, and
    what a supervisor's view can show beside each waiting chat."""

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
        if chat.auto_assign_stopped_at is not None:
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


# --- the chat's timeline: every event in plain words ("why this agent") ---------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One event of a chat as people read it (``chat_timeline``): ``text`` is a whole sentence in the current
    language; the rest are the event's facts (ids, names, codes) for whoever wants to show them otherwise."""

    id: int
    at: datetime
    kind: str
    kind_label: str
    text: str
    actor: int | None = None
    actor_name: str = ""
    agent: int | None = None
    agent_name: str = ""
    from_agent: int | None = None
    from_agent_name: str = ""
    queue: int | None = None
    queue_name: str = ""
    strategy: str = ""
    strategy_label: str = ""
    runner_up: int | None = None
    runner_up_name: str = ""
    reason: str = ""
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


# The strategy labels an assignment's ``strategy`` may carry (the agent chain's and the three others).
_STRATEGY_LABELS = {
    **dict(AgentStrategyCode.choices),
    ONLY_ELIGIBLE: _("Only eligible agent"),
    LOWEST_ID: _("Tie broken by account order"),
    MANUAL: _("By hand"),
}
# Why an automatic assignment chose its agent, per deciding strategy; the runner-up in the sentence where the
# comparison names him, else added after it (``_NEXT_IN_LINE``).
_ASSIGNED_WHY = {
    AgentStrategyCode.OWNER: _("Assigned to %(agent)s: the customer's owner in the CRM."),
    AgentStrategyCode.QUEUE_PRIORITY: _("Assigned to %(agent)s: a higher priority in %(queue)s than %(runner_up)s."),
    AgentStrategyCode.LAST_AGENT: _("Assigned to %(agent)s: the customer talked with this agent last time."),
    AgentStrategyCode.FEWEST_OPEN_CHATS: _("Assigned to %(agent)s: fewer open chats than %(runner_up)s."),
    AgentStrategyCode.LONGEST_UNASSIGNED: _(
        "Assigned to %(agent)s: waited longer since the last assigned chat than %(runner_up)s."
    ),
    LOWEST_ID: _("Assigned to %(agent)s: a tie with %(runner_up)s on every rule, broken by account order."),
}
_NAMES_RUNNER_UP = {
    AgentStrategyCode.QUEUE_PRIORITY, AgentStrategyCode.FEWEST_OPEN_CHATS, AgentStrategyCode.LONGEST_UNASSIGNED,
    LOWEST_ID,
}
_NEXT_IN_LINE = _("Next in line: %(runner_up)s.")
# Why a chat went back to its queue by itself (``chat_requeue``'s reasons and the no-reply rule's).
_REQUEUE_WHY = {
    "agent_logged_out": _("Moved back to the queue %(queue)s: %(from_agent)s logged out."),
    "no_inbox": _("Moved back to the queue %(queue)s: %(from_agent)s closed the inbox and was logged out."),
}
_CLOSED_WHY = {
    Chat.CloseReason.CLIENT: _("Closed: the visitor left."),
    Chat.CloseReason.SYSTEM: _("Closed by the system."),
}


def chat_timeline(*, chat: Chat) -> list[TimelineEntry]:
    """The chat's events in plain, translated words (the current language), oldest first: the inbox's and the
    admin's "Timeline" and ``GET /api/v1/chats/{id}/events/`` (docs/inbox.md, "The timeline").

    An automatic assignment says why its agent: the deciding strategy in words and the runner-up (the agent
    ranked next, ``data["runner_up"]``). A transfer says from whom to whom, by whom and why, with its note; a close
    says by whom or why. The ASSIGNED event that a transfer to an agent writes with it says nothing more and is
    left out. At most four queries whatever the number of events: the events with their people and queue, then
    only when needed the runner-ups, the pause types and the dispositions the events name."""
    events = list(
        ChatEvent.objects.filter(chat_id=chat.pk)
        .select_related("actor", "agent", "from_agent", "queue")
        .order_by("created_at", "id")
    )
    runner_up_ids = {e.data["runner_up"] for e in events if isinstance((e.data or {}).get("runner_up"), int)}
    runners_up = {u.pk: u for u in User.objects.filter(pk__in=runner_up_ids)} if runner_up_ids else {}
    pause_ids = {
        e.data["pause_type"] for e in events if e.kind == ChatEvent.Kind.AGENT_PAUSED and e.data.get("pause_type")
    }
    pause_types = {p.pk: p.label for p in PauseType.objects.filter(pk__in=pause_ids)} if pause_ids else {}
    disposition_ids = {
        e.data["disposition"] for e in events if e.kind == ChatEvent.Kind.CLOSED and e.data.get("disposition")
    }
    dispositions = (
        dict(Disposition.objects.filter(pk__in=disposition_ids).values_list("pk", "name")) if disposition_ids else {}
    )
    entries: list[TimelineEntry] = []
    previous = None
    for event in events:
        if previous is not None and _says_the_transfer_again(event, previous):
            previous = event
            continue
        previous = event
        runner_up_id = (event.data or {}).get("runner_up") if event.kind == ChatEvent.Kind.ASSIGNED else None
        runner_up = runners_up.get(runner_up_id) if runner_up_id else None
        names = {
            "actor": _name(event.actor, event.actor_id),
            "agent": _name(event.agent, event.agent_id),
            "from_agent": _name(event.from_agent, event.from_agent_id),
            "queue": event.queue.name if event.queue_id else gettext("(no queue)"),
            "runner_up": _name(runner_up, runner_up_id),
        }
        note = str((event.data or {}).get("note") or "") if event.kind == ChatEvent.Kind.TRANSFERRED else ""
        facts = {"pause_types": pause_types, "dispositions": dispositions}
        entries.append(
            TimelineEntry(
                id=event.pk,
                at=event.created_at,
                kind=event.kind,
                kind_label=str(event.get_kind_display()),
                text=_event_text(event, chat=chat, names=names, facts=facts, note=note),
                actor=event.actor_id,
                actor_name=names["actor"] if event.actor_id else "",
                agent=event.agent_id,
                agent_name=names["agent"] if event.agent_id else "",
                from_agent=event.from_agent_id,
                from_agent_name=names["from_agent"] if event.from_agent_id else "",
                queue=event.queue_id,
                queue_name=names["queue"] if event.queue_id else "",
                strategy=event.strategy,
                strategy_label=str(_STRATEGY_LABELS.get(event.strategy, event.strategy)),
                runner_up=runner_up_id,
                runner_up_name=names["runner_up"] if runner_up_id else "",
                reason=event.reason,
                note=note,
            )
        )
    return entries


def _says_the_transfer_again(event: ChatEvent, previous: ChatEvent) -> bool:
    """The manual ASSIGNED that ``chat_transfer`` (and a supervisor's take-over) writes right after its TRANSFERRED
    (TAKEN_OVER) to the same agent."""
    return (
        event.kind == ChatEvent.Kind.ASSIGNED and event.strategy == MANUAL
        and previous.kind in (ChatEvent.Kind.TRANSFERRED, ChatEvent.Kind.TAKEN_OVER)
        and previous.agent_id == event.agent_id
        and previous.created_at == event.created_at
    )


def _name(user, user_id) -> str:
    if user is not None:
        return user.display_name
    return gettext("a removed user") if user_id else ""


def _duration(seconds) -> str:
    """``seconds`` in the largest whole unit: "2 hours", "5 minutes", "90 seconds"."""
    seconds = int(seconds)
    if seconds and seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    if seconds and seconds % 60 == 0:
        n = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


def _event_text(event: ChatEvent, *, chat: Chat, names: dict, facts: dict, note: str) -> str:
    text = _event_words(event, chat=chat, names=names, facts=facts, note=note)
    if (event.data or {}).get("capacity_overridden"):
        text += " " + gettext("The supervisor gave it over the agent's maximum of open chats.")
    return text


def _event_words(event: ChatEvent, *, chat: Chat, names: dict, facts: dict, note: str) -> str:
    kind, data = event.kind, event.data or {}
    Kind = ChatEvent.Kind
    if kind == Kind.ASSIGNED:
        return _assigned_text(event, names)
    if kind == Kind.TRANSFERRED:
        text = _transferred_text(event, names, data)
        return text + " " + gettext("Note: %(note)s") % {"note": note} if note else text
    if kind == Kind.CLOSED:
        return _closed_text(event, names, data, facts["dispositions"])
    if kind == Kind.STARTED:
        if chat.channel == Chat.Channel.INTERNAL and event.actor_id:
            return gettext("%(actor)s started an internal conversation with %(agent)s.") % names
        return gettext("The visitor started the chat (%(channel)s).") % {"channel": chat.get_channel_display()}
    if kind == Kind.QUEUED:
        return gettext("Queued in %(queue)s.") % names if event.queue_id else gettext("Queued.")
    if kind == Kind.AGENT_PAUSED:
        pause = facts["pause_types"].get(data.get("pause_type"))
        if event.reason == "no_reply" and pause:
            return gettext("%(agent)s was put on the pause “%(pause)s” for not replying in this chat.") % {
                **names, "pause": pause,
            }
        if event.reason == "no_reply":
            return gettext("%(agent)s was paused for not replying in this chat.") % names
        return gettext("%(agent)s was paused.") % names
    if kind == Kind.AUTO_ASSIGN_STOPPED:
        if data.get("after_hours"):
            return gettext(
                "Automatic assignment stopped after %(wait)s of waiting: the chat waits for someone to press Assign."
            ) % {"wait": _duration(int(data["after_hours"]) * 3600)}
        return gettext("Automatic assignment stopped: the chat waits for someone to press Assign.")
    if kind == Kind.CUSTOMER_LINKED:
        if data.get("verified"):
            return gettext("Linked to a customer in the CRM (verified).")
        return gettext("Linked to a customer in the CRM by the e-mail the visitor gave (a claim until confirmed).")
    if kind == Kind.CUSTOMER_VERIFIED:
        if event.actor_id:
            return gettext("%(actor)s confirmed that the visitor is the linked customer.") % names
        return gettext("The visitor was confirmed as the linked customer.")
    if kind == Kind.WELCOME_SENT:
        return gettext("The welcome message was sent.")
    if kind == Kind.REPLY_SENT_AGAIN:
        return gettext("%(actor)s sent a Messenger reply again.") % names if event.actor_id else gettext(
            "A Messenger reply was sent again."
        )
    if kind == Kind.SUPERVISOR_JOINED:
        return gettext("%(actor)s joined the chat silently to watch it.") % names
    if kind == Kind.WHISPERED:
        if event.agent_id:
            return gettext("%(actor)s whispered to %(agent)s (a private note).") % names
        return gettext("%(actor)s whispered to the agent (a private note).") % names
    if kind == Kind.TAKEN_OVER:
        if event.from_agent_id:
            return gettext("%(actor)s took the chat over from %(from_agent)s.") % names
        return gettext("%(actor)s took the chat over.") % names
    if kind == Kind.QUEUE_POSITION_SENT:
        if data.get("position"):
            return gettext("The customer was told his place in the queue: %(position)s.") % {
                "position": data["position"]
            }
        return gettext("The customer was told his place in the queue.")
    return str(event.get_kind_display())


def _assigned_text(event: ChatEvent, names: dict) -> str:
    strategy, has_runner_up = event.strategy, bool(names["runner_up"])
    if strategy == MANUAL or not strategy:
        if event.actor_id and event.actor_id == event.agent_id:
            return gettext("%(agent)s took the chat.") % names
        if event.actor_id:
            return gettext("Assigned to %(agent)s by %(actor)s.") % names
        return gettext("Assigned to %(agent)s by hand.") % names
    if strategy == ONLY_ELIGIBLE:
        if has_runner_up:  # the next one had been taken off this chat for not replying
            return gettext(
                "Assigned to %(agent)s: the only available agent who had not already left this chat unanswered "
                "(%(runner_up)s had)."
            ) % names
        return gettext("Assigned to %(agent)s: the only available agent of the queue.") % names
    why = _ASSIGNED_WHY.get(strategy)
    if why is None:  # a code of no strategy of ours (the service takes any): named as it is
        return gettext("Assigned to %(agent)s (decided by: %(strategy)s).") % {**names, "strategy": strategy}
    if strategy in _NAMES_RUNNER_UP and not has_runner_up:
        return gettext("Assigned to %(agent)s (decided by: %(strategy)s).") % {
            **names, "strategy": _STRATEGY_LABELS[strategy]
        }
    text = str(why) % names
    if has_runner_up and strategy not in _NAMES_RUNNER_UP:
        text += " " + str(_NEXT_IN_LINE) % names
    return text


def _transferred_text(event: ChatEvent, names: dict, data: dict) -> str:
    reason = event.reason
    by_other = bool(event.actor_id) and event.actor_id != event.from_agent_id
    if reason == "supervisor" and event.agent_id:  # chat.services.supervision.supervisor_assign
        return gettext("Reassigned from %(from_agent)s to %(agent)s by the supervisor %(actor)s.") % names
    if reason == "no_reply":
        if data.get("after_seconds"):
            return gettext("Moved back to the queue %(queue)s: %(from_agent)s did not reply within %(wait)s.") % {
                **names, "wait": _duration(data["after_seconds"])
            }
        return gettext("Moved back to the queue %(queue)s: %(from_agent)s did not reply in time.") % names
    if reason == "agent_logged_out" and by_other:
        return gettext("Moved back to the queue %(queue)s: %(actor)s logged %(from_agent)s out.") % names
    if reason in _REQUEUE_WHY:
        return str(_REQUEUE_WHY[reason]) % names
    if reason != "manual":  # another reason of ``chat_requeue``: named as it is
        if by_other:
            return gettext("Moved back to the queue %(queue)s by %(actor)s (reason: %(reason)s).") % {
                **names, "reason": reason
            }
        return gettext("Moved back to the queue %(queue)s (reason: %(reason)s).") % {**names, "reason": reason}
    if event.agent_id:
        if event.from_agent_id:
            text = (
                gettext("Transferred from %(from_agent)s to %(agent)s by %(actor)s.") if by_other
                else gettext("Transferred from %(from_agent)s to %(agent)s.")
            )
        else:
            text = gettext("Transferred to %(agent)s by %(actor)s.") if by_other else gettext(
                "Transferred to %(agent)s."
            )
        return text % names
    if event.from_agent_id:
        text = (
            gettext("Transferred from %(from_agent)s to the queue %(queue)s by %(actor)s.") if by_other
            else gettext("Transferred from %(from_agent)s to the queue %(queue)s.")
        )
    else:
        text = gettext("Moved to the queue %(queue)s by %(actor)s.") if by_other else gettext(
            "Moved to the queue %(queue)s."
        )
    return text % names


def _closed_text(event: ChatEvent, names: dict, data: dict, dispositions: dict) -> str:
    reason = event.reason
    if reason == Chat.CloseReason.INACTIVITY:
        text = (
            gettext("Closed: inactive for %(wait)s.") % {"wait": _duration(data["after_seconds"])}
            if data.get("after_seconds") else gettext("Closed: inactive for too long.")
        )
    elif reason in _CLOSED_WHY:
        text = str(_CLOSED_WHY[reason])
    elif reason == Chat.CloseReason.ADMIN:
        text = gettext("Closed by %(actor)s, an administrator.") % names if event.actor_id else gettext(
            "Closed by an administrator."
        )
    else:  # the agent
        text = gettext("Closed by %(actor)s.") % names if event.actor_id else gettext("Closed by the agent.")
    disposition = dispositions.get(data.get("disposition"))
    if disposition:
        text += " " + gettext("Disposition: %(disposition)s.") % {"disposition": disposition}
    return text


# --- the visitor's place in the queue (issue 15, point 6; docs/routing.md, "The visitor's place in the queue") ---

# The assignments counted for a queue's pace, and the estimate's formula: ``position × WINDOW / assignments``.
WAIT_ESTIMATE_WINDOW = timedelta(minutes=30)

_POSITIONS = sql.SQL("""\
SELECT r.id, r.position FROM (
    SELECT c.id, row_number() OVER (PARTITION BY c.queue_id ORDER BY {chat_order}) AS position
    FROM {chat} c LEFT JOIN {customer} cu ON cu.id = c.customer_id
    WHERE {dispatchable} AND c.queue_id IS NOT NULL{queues}
) r{chats}""")


def chat_order_codes() -> list[str]:
    """The configured chat order (parameter 11), as dispatch reads it: by position, then id."""
    return list(ChatStrategyStep.objects.order_by("order", "id").values_list("code", flat=True))


def queue_positions(*, queue_id=None, chat_ids=None, chat_codes=None) -> dict[int, int]:
    """The 1-based place of each waiting chat in its queue, in the order dispatch serves them: ``{chat id: place}``.

    Only the chats dispatch would consider (``DISPATCHABLE_CHAT``: waiting, automatic assignment not stopped, a
    customer's chat) are ranked, each queue on its own, by the configured chat order (``chat_order_sql``, the
    statement dispatch picks its candidates with, id last). A chat whose automatic assignment stopped has no place
    (it is absent from the answer): no dispatch will serve it, it waits for a person's "Assign"; nor does it take a
    place ahead of anybody. ``queue_id`` limits the answer to one queue, ``chat_ids`` to those chats (each still
    ranked among every waiting chat of its queue); neither: every waiting chat. One statement with a window
    function over the waiting chats' partial index (``chat_waiting_queue_idx``); ``chat_codes``, the chat order
    when the caller has it already, saves the read of the order."""
    params: list = []
    queues, chats = sql.SQL(""), sql.SQL("")
    if chat_ids is not None:
        chat_ids = [int(pk) for pk in chat_ids]
        if not chat_ids:
            return {}
        marks = sql.SQL(", ").join([sql.SQL("%s")] * len(chat_ids))
        queues = sql.SQL(" AND c.queue_id IN (SELECT k.queue_id FROM {chat} k WHERE k.id IN ({marks}))").format(
            chat=sql.Identifier(Chat._meta.db_table), marks=marks
        )
        chats = sql.SQL(" WHERE r.id IN ({marks})").format(marks=marks)
        params += chat_ids
    if queue_id is not None:
        queues = queues + sql.SQL(" AND c.queue_id = %s")
        params.append(int(queue_id))
    if chat_ids is not None:
        params += chat_ids
    codes = list(chat_codes) if chat_codes is not None else chat_order_codes()
    statement = _POSITIONS.format(
        chat_order=chat_order_sql(codes),
        chat=sql.Identifier(Chat._meta.db_table),
        customer=sql.Identifier(Customer._meta.db_table),
        dispatchable=DISPATCHABLE_CHAT.sql("c"),
        queues=queues,
        chats=chats,
    ).as_string()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return {int(pk): int(position) for pk, position in cursor.fetchall()}


def queue_assignments_recent(*, queue_id, now=None) -> int:
    """The queue's assignments (ASSIGNED events: dispatch's and people's) in the ``WAIT_ESTIMATE_WINDOW`` before
    ``now``: its recent pace (``chat_event_kind_idx``)."""
    now = now or timezone.now()
    return ChatEvent.objects.filter(
        kind=ChatEvent.Kind.ASSIGNED, queue_id=queue_id, created_at__gt=now - WAIT_ESTIMATE_WINDOW,
        created_at__lte=now,
    ).count()


def queue_assignments_recent_by_queue(*, queue_ids=None, now=None) -> dict[int, int]:
    """``queue_assignments_recent`` for many queues in one query (``{queue id: n}``, queues with none left out):
    what a page that shows many waiting chats passes to ``queue_wait_estimate(assignments=…)``."""
    now = now or timezone.now()
    events = ChatEvent.objects.filter(
        kind=ChatEvent.Kind.ASSIGNED, queue_id__isnull=False, created_at__gt=now - WAIT_ESTIMATE_WINDOW,
        created_at__lte=now,
    )
    if queue_ids is not None:
        events = events.filter(queue_id__in=list(queue_ids))
    rows = events.order_by().values_list("queue_id").annotate(n=Count("id"))
    return {int(queue_id): int(n) for queue_id, n in rows}


def queue_wait_estimate(*, queue_id, position, now=None, assignments: int | None = None) -> timedelta | None:
    """How long the chat at ``position`` in ``queue_id`` may still wait, from the queue's recent assignment rate:
    ``position × WINDOW / n``, n the queue's assignments in the last ``WAIT_ESTIMATE_WINDOW`` (30 minutes) — the
    time the queue took, lately, to serve ``position`` chats. None when it assigned none in that window (no pace to
    go by: the visitor is told "we will answer as soon as possible") or for no position. ``assignments``: n, when
    the caller counted it already (one count per queue for many chats)."""
    if not position or position < 1:
        return None
    if assignments is None:
        assignments = queue_assignments_recent(queue_id=queue_id, now=now)
    if assignments <= 0:
        return None
    return WAIT_ESTIMATE_WINDOW * position / assignments


@dataclass(frozen=True)
class QueuePlace:
    """A waiting chat's place: its position (1 = next), the estimate (None: no recent pace) and the sentence."""

    position: int
    estimate: timedelta | None

    @property
    def wait_seconds(self) -> int | None:
        return None if self.estimate is None else int(self.estimate.total_seconds())

    @property
    def minutes(self) -> int | None:
        """The estimate as the visitor reads it: whole minutes, rounded up, at least one."""
        return None if self.estimate is None else max(1, math.ceil(self.estimate.total_seconds() / 60))

    @property
    def text(self) -> str:
        """"You are 3rd in line, about 2 minutes." in the active language."""
        return queue_place_text(position=self.position, minutes=self.minutes)


def chat_queue_place(*, chat_id, now=None) -> QueuePlace | None:
    """The place of the waiting chat ``chat_id`` (None when it is not waiting, or not served by dispatch: see
    ``queue_positions``). Three queries: the chat order, the positions, the queue's pace."""
    row = Chat.objects.filter(pk=chat_id, status=Chat.Status.WAITING).values_list("queue_id", flat=True).first()
    if row is None:
        return None
    position = queue_positions(chat_ids=[chat_id]).get(int(chat_id))
    if position is None:
        return None
    return QueuePlace(position=position, estimate=queue_wait_estimate(queue_id=row, position=position, now=now))


def ordinal(n: int) -> str:
    """``n`` as an ordinal of the active language: 2nd, 3rd, 11th in English; 2., 3., 11. in Polish (the
    contexts and msgids of Django's humanize)."""
    if n % 100 in (11, 12, 13):
        template = pgettext("ordinal 11, 12, 13", "{}th")
    else:
        template = {
            1: pgettext("ordinal 1", "{}st"),
            2: pgettext("ordinal 2", "{}nd"),
            3: pgettext("ordinal 3", "{}rd"),
        }.get(n % 10) or pgettext("ordinal 0", "{}th")
    return template.format(n)


def queue_place_text(*, position: int, minutes: int | None) -> str:
    """The sentence the visitor reads while he waits, in the active language: "You are next, about 1 minute.",
    "You are 3rd in line, about 2 minutes.", and without an estimate "You are 3rd in line. We will answer as soon
    as possible." (the widget, and once as text on Messenger)."""
    if position == 1:
        if minutes is None:
            return gettext("You are next in line. We will answer as soon as possible.")
        return ngettext(
            "You are next in line, about %(minutes)d minute.", "You are next in line, about %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    if minutes is None:
        return gettext("You are %(ordinal)s in line. We will answer as soon as possible.") % {
            "ordinal": ordinal(position)
        }
    return ngettext(
        "You are %(ordinal)s in line, about %(minutes)d minute.",
        "You are %(ordinal)s in line, about %(minutes)d minutes.",
        minutes,
    ) % {"ordinal": ordinal(position), "minutes": minutes}
