"""Queues, their members and priorities; pause types. Called by the REST API
(the admin's inlines may call them too). Every change of membership can change
who is eligible, so a dispatch runs after commit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from agents.models import PauseType, User
from chat.models import Chat, Queue, QueueMembership
from chat.services.dispatch import dispatch_soon
from chat.services.errors import ChatError

QUEUE_FIELDS = {"name", "description", "active"}
PAUSE_TYPE_FIELDS = {"name"}


def _full_clean(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        raise ChatError(errors[0], field=None if field == "__all__" else field, code="invalid") from exc


def _save_unique(obj, *, taken_message) -> None:
    """Validate and save; a name already taken (the database's unique index decides) is a clear error."""
    _full_clean(obj)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ChatError(taken_message, field="name", code="unique")


def _edit(model, *, pk: int, fields: dict, allowed: set, missing_message, field: str, taken_message):
    """Change some fields of one locked row, refusing unknown fields and a missing row."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ChatError(_("Unknown field: %(name)s.") % {"name": unknown[0]}, field=unknown[0], code="unknown_field")
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise ChatError(missing_message, field=field, code="not_found")
    for name, value in fields.items():
        setattr(obj, name, value)
    _save_unique(obj, taken_message=taken_message)
    return obj


QUEUE_TAKEN = _("A queue with this name already exists.")
PAUSE_TYPE_TAKEN = _("A pause type with this name already exists.")


def queue_create(*, name: str, description: str = "", active: bool = True, actor=None) -> Queue:
    queue = Queue(name=name, description=description, active=active)
    _save_unique(queue, taken_message=QUEUE_TAKEN)
    return queue


def queue_update(*, queue_id: int, actor=None, **fields) -> Queue:
    with transaction.atomic():
        queue = _edit(
            Queue, pk=queue_id, fields=fields, allowed=QUEUE_FIELDS, field="queue",
            missing_message=_("This queue does not exist."), taken_message=QUEUE_TAKEN,
        )
        dispatch_soon()
    return queue


def queue_delete(*, queue_id: int, actor=None) -> None:
    with transaction.atomic():
        queue = Queue.objects.select_for_update().filter(pk=queue_id).first()
        if queue is None:
            raise ChatError(_("This queue does not exist."), field="queue", code="not_found")
        if Chat.objects.filter(queue=queue).exists():
            raise ChatError(
                _("This queue has chats and cannot be deleted; switch it off instead."), field="queue", code="protected"
            )
        queue.delete()


def queue_member_set(*, queue_id: int, agent_id: int, priority: int = 0, actor=None) -> QueueMembership:
    """Add an agent to a queue, or change his priority there."""
    if not Queue.objects.filter(pk=queue_id).exists():
        raise ChatError(_("This queue does not exist."), field="queue", code="not_found")
    if not User.objects.filter(pk=agent_id, is_active=True).exists():
        raise ChatError(_("This agent does not exist."), field="agent", code="not_found")
    with transaction.atomic():
        membership, _created = QueueMembership.objects.update_or_create(
            queue_id=queue_id, agent_id=agent_id, defaults={"priority": priority}
        )
        dispatch_soon()
    return membership


def queue_member_remove(*, queue_id: int, agent_id: int, actor=None) -> None:
    with transaction.atomic():
        deleted, _rows = QueueMembership.objects.filter(queue_id=queue_id, agent_id=agent_id).delete()
        if not deleted:
            raise ChatError(_("This agent is not a member of this queue."), field="agent", code="not_found")


def pause_type_create(*, name: str, actor=None) -> PauseType:
    pause_type = PauseType(name=name)
    _save_unique(pause_type, taken_message=PAUSE_TYPE_TAKEN)
    return pause_type


def pause_type_update(*, pause_type_id: int, actor=None, **fields) -> PauseType:
    with transaction.atomic():
        return _edit(
            PauseType, pk=pause_type_id, fields=fields, allowed=PAUSE_TYPE_FIELDS, field="pause_type",
            missing_message=_("This pause type does not exist."), taken_message=PAUSE_TYPE_TAKEN,
        )


def pause_type_delete(*, pause_type_id: int, actor=None) -> None:
    """Delete a pause type of one's own. Built-ins, and pause types in use, are refused."""
    from agents.models import Presence
    from chat.models import ChatSettings

    with transaction.atomic():
        pause_type = PauseType.objects.select_for_update().filter(pk=pause_type_id).first()
        if pause_type is None:
            raise ChatError(_("This pause type does not exist."), field="pause_type", code="not_found")
        if pause_type.built_in:
            raise ChatError(_("Built-in pause types cannot be deleted."), field="pause_type", code="built_in")
        if Presence.objects.filter(pause_type=pause_type).exists():
            raise ChatError(
                _("Agents are on this pause now; it cannot be deleted."), field="pause_type", code="protected"
            )
        ChatSettings.objects.filter(no_reply_pause_type=pause_type).update(no_reply_pause_type=None)
        pause_type.delete()
