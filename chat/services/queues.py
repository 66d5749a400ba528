"""Queues, their members and priorities. Called by the REST API and the admin.
Every change of membership can change who is eligible, so a dispatch runs after
commit. (Pause types are the agents app's: agents.services.)"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from agents.models import ACTIVE_AGENT, User
from chat.models import Chat, Queue, QueueMembership
from chat.services.dispatch import dispatch_soon
from chat.services.errors import ChatError
from chat.services.hours import HOURS_FIELDS, NO_WEEKLY_HOURS, schedule_check
from chat.services.live.publish import live_queue_member, live_settings
from core.services import model_edit, model_save_unique

# Business hours' own fields are here too (``time_zone``, ``offline_reply`` …); their rows (the weekly schedule, the
# exceptions) are written by ``chat.services.hours.queue_hours_set``.
QUEUE_FIELDS = {"name", "description", "active", "answer_target_seconds", *HOURS_FIELDS}


QUEUE_TAKEN = _("A queue with this name already exists.")


def queue_create(
    *, name: str, description: str = "", active: bool = True, answer_target_seconds: int = 60, actor=None, **hours
) -> Queue:
    """A new queue. ``hours``: any of the business-hours fields (``time_zone`` …); ``business_hours`` on is refused,
    a new queue having no weekly opening yet (``queue_hours_set`` writes both at once)."""
    unknown = sorted(set(hours) - set(HOURS_FIELDS))
    if unknown:
        raise ChatError(_("Unknown field: %(name)s.") % {"name": unknown[0]}, field=unknown[0], code="unknown_field")
    if hours.get("business_hours"):
        raise ChatError(NO_WEEKLY_HOURS, field="business_hours", code="no_weekly_hours")
    queue = Queue(name=name, description=description, active=active, answer_target_seconds=answer_target_seconds,
                  **hours)
    model_save_unique(queue, taken_message=QUEUE_TAKEN, error=ChatError)
    return queue


def queue_update(*, queue_id: int, actor=None, **fields) -> Queue:
    with transaction.atomic():
        queue = model_edit(
            Queue, pk=queue_id, fields=fields, allowed=QUEUE_FIELDS, field="queue",
            missing_message=_("This queue does not exist."), taken_message=QUEUE_TAKEN, error=ChatError,
        )
        if fields.get("business_hours"):
            schedule_check(queue_id=queue.pk)  # on, with no weekly opening: refused (rolled back)
        live_settings()  # its name in every list, its chats when it is switched off
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
        live_settings()


def queue_member_set(*, queue_id: int, agent_id: int, priority: int = 0, actor=None) -> QueueMembership:
    """Add an agent to a queue, or change his priority there (0 or more: higher gets chats first)."""
    if not isinstance(priority, int) or priority < 0:
        raise ChatError(_("The priority cannot be negative."), field="priority", code="invalid")
    if not Queue.objects.filter(pk=queue_id).exists():
        raise ChatError(_("This queue does not exist."), field="queue", code="not_found")
    if not User.objects.filter(ACTIVE_AGENT.q(), pk=agent_id).exists():
        raise ChatError(_("This agent does not exist."), field="agent", code="not_found")
    with transaction.atomic():
        membership, _created = QueueMembership.objects.update_or_create(
            queue_id=queue_id, agent_id=agent_id, defaults={"priority": priority}
        )
        live_queue_member(queue_id=queue_id, agent_id=agent_id)
        dispatch_soon()
    return membership


def queue_member_remove(*, queue_id: int, agent_id: int, actor=None) -> None:
    with transaction.atomic():
        deleted, _rows = QueueMembership.objects.filter(queue_id=queue_id, agent_id=agent_id).delete()
        if not deleted:
            raise ChatError(_("This agent is not a member of this queue."), field="agent", code="not_found")
        live_queue_member(queue_id=queue_id, agent_id=agent_id)


def agent_queues_set(*, agent_id: int, memberships: list[dict], actor=None) -> list[QueueMembership]:
    """Replace the agent's queues and priorities with ``memberships`` (``[{"queue": id, "priority": n}, …]``; an
    empty list takes him out of every queue). All or nothing: an unknown queue, a queue named twice or a negative
    priority is refused before anything changes. Queues left out lose him; a dispatch follows."""
    if not User.objects.filter(ACTIVE_AGENT.q(), pk=agent_id).exists():
        raise ChatError(_("This agent does not exist."), field="agent", code="not_found")
    wanted: dict[int, int] = {}
    for row in memberships:
        queue_id, priority = row.get("queue"), row.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 0:
            raise ChatError(_("The priority cannot be negative."), field="queues", code="invalid")
        if queue_id in wanted:
            raise ChatError(_("A queue is named twice."), field="queues", code="repeated")
        wanted[queue_id] = priority
    known = set(Queue.objects.filter(pk__in=[q for q in wanted if isinstance(q, int)]).values_list("pk", flat=True))
    unknown = [queue_id for queue_id in wanted if queue_id not in known]
    if unknown:
        raise ChatError(
            _("There is no queue with the id %(id)s.") % {"id": unknown[0]}, field="queues", code="unknown"
        )
    with transaction.atomic():
        current = {m.queue_id: m for m in QueueMembership.objects.select_for_update().filter(agent_id=agent_id)}
        changed = set()
        for queue_id, membership in current.items():
            if queue_id not in wanted:
                membership.delete()
                changed.add(queue_id)
        for queue_id, priority in wanted.items():
            membership = current.get(queue_id)
            if membership is None:
                QueueMembership.objects.create(queue_id=queue_id, agent_id=agent_id, priority=priority)
                changed.add(queue_id)
            elif membership.priority != priority:
                QueueMembership.objects.filter(pk=membership.pk).update(priority=priority)
                changed.add(queue_id)
        for queue_id in sorted(changed):
            live_queue_member(queue_id=queue_id, agent_id=agent_id)
        if changed:
            dispatch_soon()
    return list(QueueMembership.objects.filter(agent_id=agent_id).select_related("queue").order_by("queue_id"))
