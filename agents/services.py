"""Presence services: log in, log out, pause, resume, phone calls.

Every change appends a PresenceEvent and, when the agent may have become able
to take chats, queues dispatch after commit. Each change is one conditional
UPDATE of the agent's Presence row, so repeating it changes nothing and writes
no second event. What happens to open chats at log-out: docs/routing.md.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import PauseType, Presence, PresenceEvent, User
from chat.services.errors import ChatError

UNSET = object()


def _agent(agent_id) -> User:
    try:
        return User.objects.get(pk=int(agent_id))
    except (User.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such agent."), field="agent", code="unknown_agent")


def _dispatch_soon() -> None:
    from chat.services.dispatch import dispatch_soon

    dispatch_soon()


def presence_get(*, agent_id) -> Presence:
    """The agent's presence row (created, logged out, when missing)."""
    agent = _agent(agent_id)
    presence, _created = Presence.objects.get_or_create(agent=agent)
    return presence


def _event(agent_id: int, kind: str, actor, now, pause_type_id=None, reason: str = "") -> None:
    PresenceEvent.objects.create(
        agent_id=agent_id, kind=kind, actor=actor, created_at=now, pause_type_id=pause_type_id, reason=reason[:64]
    )


def presence_login(*, agent_id, actor: User | None = None) -> Presence:
    presence = presence_get(agent_id=agent_id)
    now = timezone.now()
    with transaction.atomic():
        if Presence.objects.filter(pk=presence.pk, logged_in=False).update(
            logged_in=True, pause_type=None, changed_at=now
        ):
            _event(presence.pk, PresenceEvent.Kind.LOGGED_IN, actor, now)
            _dispatch_soon()
    presence.refresh_from_db()
    return presence


def presence_logout(*, agent_id, actor: User | None = None) -> Presence:
    """Log the agent out; his open customer chats go back to the head of their queues.

    Step 1 marks him logged out (from then on no dispatch can give him a chat:
    the capacity guard requires ``logged_in``). Step 2 requeues every customer
    chat still assigned to him, each in its own transaction (chat lock, then his
    Presence row: the global lock order), recording TRANSFERRED with reason
    "agent_logged_out", and dispatches them to others. Internal chats stay.
    """
    from chat.models import Chat
    from chat.services.chats import REQUEUE_LOGGED_OUT, chat_requeue

    presence = presence_get(agent_id=agent_id)
    now = timezone.now()
    with transaction.atomic():
        if Presence.objects.filter(pk=presence.pk, logged_in=True).update(
            logged_in=False, pause_type=None, changed_at=now
        ):
            _event(presence.pk, PresenceEvent.Kind.LOGGED_OUT, actor, now)
    open_ids = list(
        Chat.objects.filter(agent_id=presence.pk, status=Chat.Status.ASSIGNED)
        .exclude(channel=Chat.Channel.INTERNAL)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for chat_id in open_ids:
        try:
            chat_requeue(chat_id=chat_id, reason=REQUEUE_LOGGED_OUT, actor=actor, agent_id=presence.pk)
        except ChatError:
            pass  # closed or moved meanwhile: nothing left to free
    presence.refresh_from_db()
    return presence


def _pause_type(pause_type_id) -> PauseType:
    try:
        return PauseType.objects.get(pk=int(pause_type_id))
    except (PauseType.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such pause type."), field="pause_type", code="unknown_pause_type")


def presence_pause(*, agent_id, pause_type_id, actor: User | None = None, reason: str = "") -> Presence:
    """Put a logged-in agent on a pause of this type (his open chats stay with him)."""
    presence = presence_get(agent_id=agent_id)
    pause_type = _pause_type(pause_type_id)
    now = timezone.now()
    with transaction.atomic():
        updated = (
            Presence.objects.filter(pk=presence.pk, logged_in=True)
            .exclude(pause_type=pause_type)
            .update(pause_type=pause_type, changed_at=now)
        )
        if updated:
            _event(presence.pk, PresenceEvent.Kind.PAUSED, actor, now, pause_type_id=pause_type.pk, reason=reason)
        elif not Presence.objects.filter(pk=presence.pk, logged_in=True).exists():
            raise ChatError(_("A logged-out agent cannot be put on a pause."), field="pause_type", code="logged_out")
    presence.refresh_from_db()
    return presence


def presence_resume(*, agent_id, actor: User | None = None) -> Presence:
    """End the agent's pause: he is available again (nothing happens when he was not paused)."""
    presence = presence_get(agent_id=agent_id)
    now = timezone.now()
    with transaction.atomic():
        if Presence.objects.filter(pk=presence.pk, pause_type__isnull=False).update(pause_type=None, changed_at=now):
            _event(presence.pk, PresenceEvent.Kind.RESUMED, actor, now)
            _dispatch_soon()
    presence.refresh_from_db()
    return presence


def presence_set_phone_call(*, agent_id, on_call: bool, actor: User | None = None) -> Presence:
    """What the PBX reports: the agent started or ended a phone call."""
    presence = presence_get(agent_id=agent_id)
    on_call = bool(on_call)
    now = timezone.now()
    with transaction.atomic():
        if Presence.objects.filter(pk=presence.pk).exclude(on_phone_call=on_call).update(
            on_phone_call=on_call, changed_at=now
        ):
            kind = PresenceEvent.Kind.PHONE_CALL_STARTED if on_call else PresenceEvent.Kind.PHONE_CALL_ENDED
            _event(presence.pk, kind, actor, now)
            if not on_call:
                _dispatch_soon()
    presence.refresh_from_db()
    return presence


def presence_update(
    *, agent_id, logged_in: bool | None = None, pause_type_id=UNSET, on_phone_call: bool | None = None,
    actor: User | None = None,
) -> Presence:
    """The PATCH the API and the PBX call: log in first, then the pause (None = resume), then the phone
    call, then log out. Only the given fields change."""
    if logged_in is False and pause_type_id not in (UNSET, None):
        raise ChatError(_("A logged-out agent cannot be put on a pause."), field="pause_type", code="logged_out")
    presence = presence_get(agent_id=agent_id)
    if pause_type_id not in (UNSET, None):
        _pause_type(pause_type_id)  # refuse an unknown pause type before changing anything
    with transaction.atomic():
        if logged_in is True:
            presence = presence_login(agent_id=agent_id, actor=actor)
        if pause_type_id is None:
            presence = presence_resume(agent_id=agent_id, actor=actor)
        elif pause_type_id is not UNSET:
            presence = presence_pause(agent_id=agent_id, pause_type_id=pause_type_id, actor=actor)
        if on_phone_call is not None:
            presence = presence_set_phone_call(agent_id=agent_id, on_call=on_phone_call, actor=actor)
    if logged_in is False:
        presence = presence_logout(agent_id=agent_id, actor=actor)
    return presence


def presence_recount(*, agent_id=None) -> int:
    """Repair tool: set ``open_chats`` to the real count of assigned customer chats. Returns rows fixed."""
    from django.db.models import Count, OuterRef, Q, Subquery
    from django.db.models.functions import Coalesce

    from chat.models import Chat

    real = (
        Chat.objects.filter(agent_id=OuterRef("agent_id"), status=Chat.Status.ASSIGNED)
        .exclude(channel=Chat.Channel.INTERNAL)
        .order_by()
        .values("agent_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    qs = Presence.objects.annotate(real=Coalesce(Subquery(real), 0)).filter(~Q(open_chats=F("real")))
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    fixed = 0
    for presence in qs:
        # Conditional: a chat assigned or closed meanwhile changed the counter; leave that row for the next run
        # rather than write a count that is already stale (too low would let the agent over the maximum).
        unchanged = Presence.objects.filter(pk=presence.pk, open_chats=presence.open_chats)
        fixed += unchanged.update(open_chats=presence.real)
    return fixed
