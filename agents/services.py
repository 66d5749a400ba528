"""Agents' services: presence (log in, log out, pause, resume, phone calls), pause types, the agents themselves
(create, change, deactivate) and API tokens (issue, revoke).

Every presence change appends a PresenceEvent. Each change is one conditional UPDATE of the
agent's Presence row, so repeating it changes nothing and writes no second event.

This app knows nothing of chats: when an agent may have become able to take chats, or has
logged out, it calls a hook (:data:`agent_may_take_chats`, :data:`agent_logged_out`) that the
chat app registers in its ``AppConfig.ready()`` (a dispatch after commit; his open chats back
to their queues: docs/routing.md). Refusals are :class:`core.errors.ApplicationError`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import BUILT_IN_PAUSE_TYPE, LIVE_SILENT, ApiToken, PauseType, Presence, PresenceEvent, User
from core.errors import ApplicationError
from core.hooks import Hook
from core.services import model_edit, model_save_unique

UNSET = object()

# Called inside the transaction of a change after which the agent may take chats (logged in, resumed, phone
# call ended): chat's answer is a dispatch after commit.
agent_may_take_chats = Hook("agents.agent_may_take_chats")
# Called with ``agent_id`` and ``actor`` once the agent's log-out has committed: chat's answer puts his open
# customer chats back at the head of their queues, each in its own transaction.
agent_logged_out = Hook("agents.agent_logged_out")
# Called with ``agent_id`` inside the transaction of every presence change (each one writes a PresenceEvent):
# chat's answer tells the open pages after commit (the live layer).
presence_changed = Hook("agents.presence_changed")
# Called inside the transaction that created, renamed or deleted a pause type: every inbox lists them.
pause_types_changed = Hook("agents.pause_types_changed")


def _agent(agent_id) -> User:
    try:
        return User.objects.get(pk=int(agent_id))
    except (User.DoesNotExist, TypeError, ValueError):
        raise ApplicationError(_("There is no such agent."), field="agent", code="unknown_agent")


def presence_get(*, agent_id) -> Presence:
    """The agent's presence row (created, logged out, when missing)."""
    agent = _agent(agent_id)
    presence, _created = Presence.objects.get_or_create(agent=agent)
    return presence


def _event(agent_id: int, kind: str, actor, now, pause_type_id=None, reason: str = "") -> None:
    PresenceEvent.objects.create(
        agent_id=agent_id, kind=kind, actor=actor, created_at=now, pause_type_id=pause_type_id, reason=reason[:64]
    )
    presence_changed(agent_id=agent_id)


def presence_login(*, agent_id, actor: User | None = None, reason: str = "") -> Presence:
    """Log the agent in (available). It counts as a sign of his inbox (``live_seen_at``): he has the
    card's "no inbox" time to open it before the rule takes him off (docs/timed-rules.md). ``reason`` goes on the
    PresenceEvent (a supervisor's take-over logs him in: "take_over")."""
    presence = presence_get(agent_id=agent_id)
    now = timezone.now()
    with transaction.atomic():
        if Presence.objects.filter(pk=presence.pk, logged_in=False).update(
            logged_in=True, pause_type=None, changed_at=now, live_seen_at=now
        ):
            _event(presence.pk, PresenceEvent.Kind.LOGGED_IN, actor, now, reason=reason)
            agent_may_take_chats()
        else:
            Presence.objects.filter(pk=presence.pk).update(live_seen_at=now)
    presence.refresh_from_db()
    return presence


def presence_logout(*, agent_id, actor: User | None = None, reason: str = "") -> Presence:
    """Log the agent out; his open customer chats go back to the head of their queues.

    Step 1 marks him logged out (from then on no dispatch can give him a chat:
    the capacity guard requires ``logged_in``). Step 2, after that commit, calls
    :data:`agent_logged_out`: chat requeues every customer chat still assigned to
    him, each in its own transaction (chat lock, then his Presence row: the global
    lock order), recording TRANSFERRED with reason "agent_logged_out", and
    dispatches them to others. Internal chats stay. ``reason`` goes on the PresenceEvent ("supervisor" when staff
    log somebody out from the supervisor's actions).
    """
    presence = presence_get(agent_id=agent_id)
    now = timezone.now()
    with transaction.atomic():
        if Presence.objects.filter(pk=presence.pk, logged_in=True).update(
            logged_in=False, pause_type=None, changed_at=now
        ):
            _event(presence.pk, PresenceEvent.Kind.LOGGED_OUT, actor, now, reason=reason)
    agent_logged_out(agent_id=presence.pk, actor=actor)
    presence.refresh_from_db()
    return presence


def _pause_type(pause_type_id) -> PauseType:
    try:
        return PauseType.objects.get(pk=int(pause_type_id))
    except (PauseType.DoesNotExist, TypeError, ValueError):
        raise ApplicationError(_("There is no such pause type."), field="pause_type", code="unknown_pause_type")


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
            raise ApplicationError(
                _("A logged-out agent cannot be put on a pause."), field="pause_type", code="logged_out"
            )
    presence.refresh_from_db()
    return presence


def presence_resume(*, agent_id, actor: User | None = None) -> Presence:
    """End the agent's pause: he is available again (nothing happens when he was not paused). Like a log-in, it
    counts as a sign of his inbox."""
    presence = presence_get(agent_id=agent_id)
    now = timezone.now()
    with transaction.atomic():
        if Presence.objects.filter(pk=presence.pk, pause_type__isnull=False).update(
            pause_type=None, changed_at=now, live_seen_at=now
        ):
            _event(presence.pk, PresenceEvent.Kind.RESUMED, actor, now)
            agent_may_take_chats()
    presence.refresh_from_db()
    return presence


def presence_set_phone_call(*, agent_id, on_call: bool, actor: User | None = None) -> Presence:
    """What the PBX reports: the agent started or ended a phone call."""
    presence = presence_get(agent_id=agent_id)
    on_call = bool(on_call)
    now = timezone.now()
    with transaction.atomic():
        if (
            Presence.objects.filter(pk=presence.pk)
            .exclude(on_phone_call=on_call)
            .update(on_phone_call=on_call, changed_at=now)
        ):
            kind = PresenceEvent.Kind.PHONE_CALL_STARTED if on_call else PresenceEvent.Kind.PHONE_CALL_ENDED
            _event(presence.pk, kind, actor, now)
            if not on_call:
                agent_may_take_chats()
    presence.refresh_from_db()
    return presence


def presence_update(
    *,
    agent_id,
    logged_in: bool | None = None,
    pause_type_id=UNSET,
    on_phone_call: bool | None = None,
    actor: User | None = None,
) -> Presence:
    """The PATCH the API and the PBX call: log in first, then the pause (None = resume), then the phone
    call, then log out. Only the given fields change."""
    if logged_in is False and pause_type_id not in (UNSET, None):
        raise ApplicationError(_("A logged-out agent cannot be put on a pause."), field="pause_type", code="logged_out")
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


# --- presence follows the open inbox (docs/timed-rules.md) -----------------------------------------------------

# At most one write of ``live_seen_at`` per agent in this time, however many tabs and heartbeats.
LIVE_SEEN_EVERY = timedelta(seconds=10)
# The reason written on the PresenceEvent when the rule takes an agent off for want of an open inbox.
NO_INBOX_REASON = "no_inbox"


def agent_notify_sound_set(*, agent_id, on: bool) -> User:
    """Switch the inbox's sound for the agent (kept on his user, so every browser of his follows it)."""
    agent = _agent(agent_id)
    User.objects.filter(pk=agent.pk).update(notify_sound=bool(on))
    agent.notify_sound = bool(on)
    return agent


def _mark_seen(agent_id, at: datetime, older_than: datetime) -> bool:
    """One conditional UPDATE: ``live_seen_at = at`` where it is unset or older than ``older_than``."""
    try:
        agent_id = int(agent_id)
    except (TypeError, ValueError):
        return False
    older = Q(live_seen_at__isnull=True) | Q(live_seen_at__lt=older_than)
    return bool(Presence.objects.filter(older, pk=agent_id).update(live_seen_at=at))


def presence_live_seen(*, agent_id, at: datetime | None = None) -> bool:
    """The agent's inbox is open and connected now: its live connection's connect and every heartbeat, and the
    inbox's fallback poll. One conditional UPDATE, written only when the last sign is older than
    ``LIVE_SEEN_EVERY`` (10 s), so it is cheap to call often. Returns whether it wrote. Never raises, and changes
    no state: an agent who was paused or logged out by the rule comes back by his own action."""
    at = at or timezone.now()
    return _mark_seen(agent_id, at, at - LIVE_SEEN_EVERY)


def presence_live_seen_many(*, agent_ids, at: datetime | None = None) -> int:
    """:func:`presence_live_seen` for many agents in one UPDATE (an ASGI process writes its sockets' heartbeats
    together). Returns how many rows it wrote."""
    at = at or timezone.now()
    ids = [int(agent_id) for agent_id in agent_ids]
    if not ids:
        return 0
    older = Q(live_seen_at__isnull=True) | Q(live_seen_at__lt=at - LIVE_SEEN_EVERY)
    return Presence.objects.filter(older, pk__in=ids).update(live_seen_at=at)


def presence_live_closed(*, agent_id, at: datetime | None = None) -> bool:
    """A live connection of the agent's inbox closed: seen until now (not throttled), so the card's time counts
    from the close rather than from the last heartbeat. Safe to call when another tab is still open: it never
    moves the clock back."""
    at = at or timezone.now()
    return _mark_seen(agent_id, at, at)


def presence_live_lost(*, agent_id, seen_before: datetime, pause_type_id=None) -> str | None:
    """The rule's act: an agent still available and not seen since ``seen_before`` (``LIVE_SILENT``, the guard of
    one conditional UPDATE, so a heartbeat that came meanwhile wins and two workers act once) is put on the pause
    ``pause_type_id``, or logged out when it is None (his chats then follow the log-out rule: the
    :data:`agent_logged_out` hook). PresenceEvent with reason "no_inbox". Returns "paused", "logged_out" or None
    (nothing to do)."""
    now = timezone.now()
    silent = Presence.objects.filter(LIVE_SILENT.q(cutoff=seen_before), pk=int(agent_id))
    with transaction.atomic():
        if pause_type_id is not None:
            if not silent.update(pause_type_id=pause_type_id, changed_at=now):
                return None
            _event(int(agent_id), PresenceEvent.Kind.PAUSED, None, now, pause_type_id, NO_INBOX_REASON)
            return "paused"
        if not silent.update(logged_in=False, pause_type=None, changed_at=now):
            return None
        _event(int(agent_id), PresenceEvent.Kind.LOGGED_OUT, None, now, reason=NO_INBOX_REASON)
    agent_logged_out(agent_id=int(agent_id), actor=None)
    return "logged_out"


# --- pause types ------------------------------------------------------------------------------------------------

PAUSE_TYPE_FIELDS = {"name"}
PAUSE_TYPE_TAKEN = _("A pause type with this name already exists.")


def _check_pause_type_name_free(name, *, pk=None) -> None:
    """Names are unique case-insensitively ("Break" and "break" are one pause to an agent); the database's
    unique index on lower(name) is the last word, this names the field."""
    name = (name or "").strip()
    if name and PauseType.objects.filter(name__iexact=name).exclude(pk=pk).exists():
        raise ApplicationError(PAUSE_TYPE_TAKEN, field="name", code="unique")


def pause_type_create(*, name: str, actor=None) -> PauseType:
    pause_type = PauseType(name=name)
    _check_pause_type_name_free(name)
    with transaction.atomic():
        model_save_unique(pause_type, taken_message=PAUSE_TYPE_TAKEN)
        pause_types_changed()
    return pause_type


def pause_type_update(*, pause_type_id: int, actor=None, **fields) -> PauseType:
    if "name" in fields:
        _check_pause_type_name_free(fields["name"], pk=pause_type_id)
    with transaction.atomic():
        pause_type = model_edit(
            PauseType, pk=pause_type_id, fields=fields, allowed=PAUSE_TYPE_FIELDS, field="pause_type",
            missing_message=_("This pause type does not exist."), taken_message=PAUSE_TYPE_TAKEN,
        )
        pause_types_changed()
        return pause_type


def pause_type_delete(*, pause_type_id: int, actor=None) -> None:
    """Delete a pause type of one's own. Built-ins, and pause types in use, are refused. A card whose
    "pause on no reply" it was is left with none (the foreign key's ``SET_NULL``)."""
    with transaction.atomic():
        pause_type = PauseType.objects.select_for_update().filter(pk=pause_type_id).first()
        if pause_type is None:
            raise ApplicationError(_("This pause type does not exist."), field="pause_type", code="not_found")
        if BUILT_IN_PAUSE_TYPE.holds(pause_type):
            raise ApplicationError(_("Built-in pause types cannot be deleted."), field="pause_type", code="built_in")
        if Presence.objects.filter(pause_type=pause_type).exists():
            raise ApplicationError(
                _("Agents are on this pause now; it cannot be deleted."), field="pause_type", code="protected"
            )
        pause_type.delete()
        pause_types_changed()


# --- agents (the API's create and change; the admin uses Django's own user forms) ------------------------------

AGENT_FIELDS = {"first_name", "last_name", "email", "is_active", "is_staff"}
USERNAME_TAKEN = _("An agent with this username already exists.")


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(_("Enter a valid e-mail address."), field="email", code="invalid")
    return email


def agent_create(
    *,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_staff: bool = False,
    password: str | None = None,
    actor: User | None = None,
) -> User:
    """A new agent (logged out, in no queue). Without a password he has an unusable one: he cannot log in to the
    inbox until someone sets it (the admin), but an API token works. A password must pass Django's validators
    (``AUTH_PASSWORD_VALIDATORS``); a username already taken (case-insensitively) is refused."""
    username = (username or "").strip()
    agent = User(username=username, first_name=first_name, last_name=last_name, email=_check_email(email),
                 is_staff=bool(is_staff))
    try:
        agent.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        raise ApplicationError(errors[0], field=field, code="invalid") from exc
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(USERNAME_TAKEN, field="username", code="unique")
    if password:
        try:
            validate_password(password, user=agent)
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), field="password", code="invalid") from exc
        agent.set_password(password)
    else:
        agent.set_unusable_password()
    try:
        with transaction.atomic():
            agent.save()
            Presence.objects.create(agent=agent)
    except IntegrityError:
        raise ApplicationError(USERNAME_TAKEN, field="username", code="unique")
    return agent


def agent_update(*, agent_id, actor: User | None = None, **fields) -> User:
    """Change an agent's names, e-mail, staff flag or ``is_active``. Deactivating him (``is_active`` false) logs
    him out, so his open customer chats go back to their queues (:func:`presence_logout`); his API tokens stop
    working (knox refuses an inactive user). Nobody deactivates himself."""
    unknown = sorted(set(fields) - AGENT_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field: %(name)s.") % {"name": unknown[0]}, field=unknown[0],
                               code="unknown_field")
    agent = _agent(agent_id)
    if actor is not None and actor.pk == agent.pk:
        if fields.get("is_active") is False:
            raise ApplicationError(_("You cannot deactivate yourself."), field="is_active", code="self")
        if fields.get("is_staff") is False:
            raise ApplicationError(_("You cannot take away your own staff rights."), field="is_staff", code="self")
    if "email" in fields:
        fields["email"] = _check_email(fields["email"])
    deactivated = fields.get("is_active") is False and agent.is_active
    with transaction.atomic():
        agent = User.objects.select_for_update().get(pk=agent.pk)
        for name, value in fields.items():
            setattr(agent, name, value)
        try:
            agent.full_clean(exclude=["password", "username"], validate_unique=False)
        except ValidationError as exc:
            field, errors = next(iter(exc.message_dict.items()))
            raise ApplicationError(errors[0], field=field, code="invalid") from exc
        agent.save(update_fields=sorted(fields) or None)
    if deactivated:
        presence_logout(agent_id=agent.pk, actor=actor)
    return agent


# --- API tokens (django-rest-knox: only a digest is stored; docs/decisions.md) --------------------------------

TOKEN_EXPIRY_DAYS_MAX = 3650
# A token's ``last_used_at`` is written when it is older than this: one UPDATE a minute per busy token at most.
TOKEN_USED_EVERY = timedelta(minutes=1)


def api_token_issue(
    *, user_id, expiry_days: int | None = None, description: str = "", actor: User | None = None
) -> tuple[ApiToken, str]:
    """Issue a token for an active user: returns the stored row and the key, which exists nowhere else (the row
    holds its SHA-512 digest) — show it once. ``expiry_days`` None: it never expires."""
    try:
        user = User.objects.get(pk=int(user_id))
    except (User.DoesNotExist, TypeError, ValueError):
        raise ApplicationError(_("There is no such user."), field="user", code="not_found")
    if not user.is_active:
        raise ApplicationError(_("An inactive user cannot be given a token."), field="user", code="inactive")
    expiry = None
    if expiry_days is not None:
        if not isinstance(expiry_days, int) or not 1 <= expiry_days <= TOKEN_EXPIRY_DAYS_MAX:
            raise ApplicationError(
                _("The expiry must be between 1 and %(max)s days.") % {"max": TOKEN_EXPIRY_DAYS_MAX},
                field="expiry_days", code="invalid",
            )
        expiry = timedelta(days=expiry_days)
    token, key = ApiToken.objects.create(
        user=user, expiry=expiry, description=(description or "").strip()[:200], created_by=actor
    )
    return token, key


def api_token_revoke(*, token_id, actor: User | None = None) -> None:
    """Revoke (delete) a token: the next request with its key answers 401."""
    try:
        deleted, _rows = ApiToken.objects.filter(pk=int(token_id)).delete()
    except (TypeError, ValueError):
        deleted = 0
    if not deleted:
        raise ApplicationError(_("There is no such token."), field="token", code="not_found")


def api_token_used(*, token: ApiToken, at: datetime | None = None) -> None:
    """Note that ``token`` authenticated a request (the authentication class calls it): one conditional UPDATE,
    written only when the last note is older than ``TOKEN_USED_EVERY``."""
    at = at or timezone.now()
    if token.last_used_at is not None and token.last_used_at > at - TOKEN_USED_EVERY:
        return
    older = Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - TOKEN_USED_EVERY)
    if ApiToken.objects.filter(older, pk=token.pk).update(last_used_at=at):
        token.last_used_at = at
