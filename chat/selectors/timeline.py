"""The chat's timeline: every event in plain, translated words ("why this agent"; issue 15, point 3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from agents.models import PauseType, User
from chat.models import (
    Chat,
    ChatEvent,
    Disposition,
)
from chat.models.chats import RATING_MAX
from chat.models.strategies import LOWEST_ID, MANUAL, ONLY_ELIGIBLE, AgentStrategyCode


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


def _parsed(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _moment(value) -> str:
    """An ISO moment of an event's data on the site's clock, e.g. "Mon 2 Mar 08:00" ("" when absent)."""
    at = _parsed(value)
    return formats.date_format(timezone.localtime(at), "D j M H:i") if at else ""


def _held_for(span) -> str:
    """How long a chat was held, in days and hours (or minutes under an hour)."""
    minutes = max(int(span.total_seconds()) // 60, 0)
    days, hours = minutes // 1440, minutes % 1440 // 60
    if days:
        text = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
        if hours:
            text += " " + ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        return text
    if hours:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


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
    if kind == Kind.HELD_FOR_HOURS:
        opens = _moment(data.get("opens"))
        if opens:
            return gettext(
                "Held: %(queue)s was outside its business hours. The chat waits for the opening (%(opens)s) and is "
                "queued then."
            ) % {**names, "opens": opens}
        return gettext("Held: %(queue)s was outside its business hours and has no opening planned.") % names
    if kind == Kind.RELEASED:
        held_since = _parsed(data.get("held_since"))
        if held_since is not None:
            return gettext("Queued in %(queue)s at the opening, after %(wait)s outside business hours.") % {
                **names, "wait": _held_for((_parsed(data.get("opened_at")) or event.created_at) - held_since),
            }
        return gettext("Queued in %(queue)s at the opening.") % names
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
    if kind == Kind.RATED:
        return _rated_text(data)
    if kind == Kind.QUEUE_POSITION_SENT:
        if data.get("position"):
            return gettext("The customer was told his place in the queue: %(position)s.") % {
                "position": data["position"]
            }
        return gettext("The customer was told his place in the queue.")
    if kind == Kind.OFFLINE_REPLY_SENT:
        return _offline_reply_text(data)
    if kind == Kind.EMAIL_ACKNOWLEDGED and data.get("to"):
        return gettext("The acknowledgement of the offline message was e-mailed to %(email)s.") % {"email": data["to"]}
    if kind == Kind.EMAIL_REPLY_SENT and data.get("to"):
        return gettext("A reply was e-mailed to %(email)s.") % {"email": data["to"]}
    return str(event.get_kind_display())


def _offline_reply_text(data: dict) -> str:
    """Messenger outside business hours (chat/messenger/offline.py): the customer got the automatic reply, and why;
    the opening it named in the queue's time zone, as he was told."""
    if data.get("reason") == "no_agents":
        return gettext("The customer got the automatic reply: no agent of the queue was logged in.")
    try:
        opens = datetime.fromisoformat(data["opens"])
    except (KeyError, TypeError, ValueError):
        return gettext("The customer got the automatic reply outside business hours.")
    return gettext("The queue was closed until %(opens)s: the customer got the automatic reply.") % {
        "opens": formats.date_format(
            timezone.localtime(opens) if timezone.is_aware(opens) else opens, "DATETIME_FORMAT"
        )
    }


def _rated_text(data: dict) -> str:
    """ "Rated 4 of 5: “Quick and helpful.”" — the visitor's score and his comment (docs/ratings.md)."""
    score, comment = data.get("score"), str(data.get("comment") or "")
    if not isinstance(score, int):
        return gettext("The client rated the conversation.")
    if comment:
        return gettext("Rated %(score)d of %(max)d by the client: “%(comment)s”") % {
            "score": score, "max": RATING_MAX, "comment": comment,
        }
    return gettext("Rated %(score)d of %(max)d by the client.") % {"score": score, "max": RATING_MAX}


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
