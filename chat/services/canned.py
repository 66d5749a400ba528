"""Canned responses (issue 14, point 3): writing them under their rules, and filling their placeholders.

Who may write which (checked here, so that the admin, the inbox and the API cannot differ):

- staff: any response of any scope (a personal one for any agent, himself by default);
- an agent: only his own personal responses; he cannot create global or queue ones, nor touch anyone else's;
- ``actor=None`` is the system (management commands, migrations), trusted like elsewhere.

A shortcut is unique within its scope (the database's partial unique indexes decide, under concurrency too);
a taken one is refused on ``shortcut`` with code ``unique``. Nothing is published to the live layer: the
picker asks for the list each time it opens, so a change shows at the next "/".

Placeholders: ``{visitor_name}``, ``{agent_name}``, ``{queue}`` are filled for one chat by
:func:`canned_fill`; anything else in braces is left as typed (a typo stays visible to the agent, who reads
the text in the reply box before sending). A value the chat does not have becomes an empty string: a made-up
name ("Customer") in a message to a real person reads worse than none, and the agent sees the inserted text
before sending it (docs/inbox.md, "Canned responses").
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import ACTIVE_AGENT, User
from chat.models import CannedResponse, Chat, Queue
from chat.services.errors import ChatError
from chat.services.permissions import FORBIDDEN, is_staff

Scope = CannedResponse.Scope

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = ("visitor_name", "agent_name", "queue")

SHORTCUT_TAKEN = {
    Scope.GLOBAL: _("A global canned response with this shortcut already exists."),
    Scope.QUEUE: _("This queue already has a canned response with this shortcut."),
    Scope.PERSONAL: _("This agent already has a canned response with this shortcut."),
}


def may_edit_canned(*, user, canned: CannedResponse) -> bool:
    """Staff: any response. An agent: only his own personal ones."""
    if user is None or is_staff(user):
        return True
    return canned.scope == Scope.PERSONAL and canned.owner_id == user.pk


def _resolve_scope(*, actor, scope: str, queue_id, owner_id) -> tuple[str, int | None, int | None]:
    """Check the scope and its key against each other and against the actor; return (scope, queue, owner)."""
    if scope not in Scope.values:
        raise ChatError(_("Choose a scope: global, queue or personal."), field="scope", code="invalid")
    if actor is not None and not is_staff(actor) and scope != Scope.PERSONAL:
        raise ChatError(
            _("Only staff can manage global and queue canned responses; yours are personal."),
            field="scope", code=FORBIDDEN,
        )
    if scope == Scope.QUEUE:
        if owner_id is not None:
            raise ChatError(_("A queue response has no owner."), field="owner", code="invalid")
        if queue_id is None:
            raise ChatError(_("Choose the queue of this response."), field="queue", code="required")
        if not Queue.objects.filter(pk=queue_id).exists():
            raise ChatError(_("This queue does not exist."), field="queue", code="not_found")
        return scope, queue_id, None
    if queue_id is not None:
        raise ChatError(_("Only a queue response names a queue."), field="queue", code="invalid")
    if scope == Scope.GLOBAL:
        if owner_id is not None:
            raise ChatError(_("A global response has no owner."), field="owner", code="invalid")
        return scope, None, None
    # Personal: an agent's are always his own; staff may write one for any agent (himself by default).
    if actor is not None and not is_staff(actor):
        if owner_id is not None and owner_id != actor.pk:
            raise ChatError(
                _("You can only manage your own canned responses."), field="owner", code=FORBIDDEN
            )
        return scope, None, actor.pk
    owner_id = owner_id if owner_id is not None else getattr(actor, "pk", None)
    if owner_id is None:
        raise ChatError(_("Choose the agent this response belongs to."), field="owner", code="required")
    if not User.objects.filter(ACTIVE_AGENT.q(), pk=owner_id).exists():
        raise ChatError(_("This agent does not exist."), field="owner", code="not_found")
    return scope, None, owner_id


def _save(canned: CannedResponse) -> None:
    """Validate the fields (the model's rules: slug, lengths) and save; a shortcut taken in the same scope
    is refused on ``shortcut`` (the partial unique indexes decide)."""
    canned.shortcut = (canned.shortcut or "").strip().lstrip("/")
    canned.title = (canned.title or "").strip()
    if canned.body is not None and canned.body != "" and not canned.body.strip():
        raise ChatError(_("Write the text of the response."), field="body", code="blank")
    try:
        canned.full_clean(validate_constraints=False)
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        raise ChatError(errors[0], field=None if field == "__all__" else field, code="invalid") from exc
    try:
        with transaction.atomic():
            canned.save()
    except IntegrityError as exc:
        raise ChatError(SHORTCUT_TAKEN[canned.scope], field="shortcut", code="unique") from exc


def canned_check(
    *, actor, scope: str, queue_id: int | None, owner_id: int | None, shortcut: str, canned_id: int | None = None
) -> None:
    """The refusals :func:`canned_create` and :func:`canned_update` would give, before anything is written: for
    a form that shows them on its fields (the admin). The write checks them again (a race is refused there)."""
    scope, queue_id, owner_id = _resolve_scope(actor=actor, scope=scope, queue_id=queue_id, owner_id=owner_id)
    taken = CannedResponse.objects.filter(
        scope=scope, queue_id=queue_id, owner_id=owner_id, shortcut=(shortcut or "").strip().lstrip("/")
    ).exclude(pk=canned_id)
    if taken.exists():
        raise ChatError(SHORTCUT_TAKEN[scope], field="shortcut", code="unique")


def canned_create(
    *, actor, shortcut: str, title: str, body: str, scope: str = Scope.PERSONAL,
    queue_id: int | None = None, owner_id: int | None = None,
) -> CannedResponse:
    scope, queue_id, owner_id = _resolve_scope(actor=actor, scope=scope, queue_id=queue_id, owner_id=owner_id)
    canned = CannedResponse(scope=scope, queue_id=queue_id, owner_id=owner_id, shortcut=shortcut, title=title,
                            body=body)
    _save(canned)
    return canned


CANNED_FIELDS = {"shortcut", "title", "body", "scope", "queue_id", "owner_id"}


def _locked_for(*, actor, canned_id: int) -> CannedResponse:
    canned = CannedResponse.objects.select_for_update().filter(pk=canned_id).first()
    if canned is None:
        raise ChatError(_("This canned response does not exist."), field="canned_response", code="not_found")
    if not may_edit_canned(user=actor, canned=canned):
        raise ChatError(
            _("You can only manage your own canned responses."), field="canned_response", code=FORBIDDEN
        )
    return canned


def canned_update(*, actor, canned_id: int, **fields) -> CannedResponse:
    """Change some fields; a change of scope names its key again (``queue_id`` or ``owner_id``)."""
    unknown = sorted(set(fields) - CANNED_FIELDS)
    if unknown:
        raise ChatError(_("Unknown field: %(name)s.") % {"name": unknown[0]}, field=unknown[0], code="unknown_field")
    with transaction.atomic():
        canned = _locked_for(actor=actor, canned_id=canned_id)
        scope = fields.get("scope", canned.scope)
        if "scope" in fields:
            queue_id, owner_id = fields.get("queue_id"), fields.get("owner_id")
        else:
            queue_id = fields.get("queue_id", canned.queue_id)
            owner_id = fields.get("owner_id", canned.owner_id)
        canned.scope, canned.queue_id, canned.owner_id = _resolve_scope(
            actor=actor, scope=scope, queue_id=queue_id, owner_id=owner_id
        )
        for name in ("shortcut", "title", "body"):
            if name in fields:
                setattr(canned, name, fields[name])
        canned.updated_at = timezone.now()
        _save(canned)
    return canned


def canned_delete(*, actor, canned_id: int) -> None:
    with transaction.atomic():
        _locked_for(actor=actor, canned_id=canned_id).delete()


# --- Placeholders ------------------------------------------------------------------------------------------------


def canned_values(*, chat: Chat, agent) -> dict[str, str]:
    """What the placeholders stand for in ``chat`` when ``agent`` writes: the visitor's name (the name he gave,
    else his customer's; in an internal chat, the colleague), the agent's display name, the queue's name."""
    if chat.channel == Chat.Channel.INTERNAL:
        peer = chat.initiator if chat.agent_id == getattr(agent, "pk", None) else chat.agent
        visitor = peer.display_name if peer is not None else ""
    else:
        visitor = chat.visitor_name or (chat.customer.name if chat.customer_id else "")
    return {
        "visitor_name": visitor,
        "agent_name": agent.display_name if agent is not None else "",
        "queue": chat.queue.name if chat.queue_id else "",
    }


def canned_fill(text: str, *, values: dict[str, str]) -> str:
    """``text`` with the known placeholders replaced; unknown ones (``{order_no}``) stay as typed."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
