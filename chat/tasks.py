"""Celery tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def dispatch_task() -> int:
    """Give waiting chats to eligible agents (queued by ``dispatch_soon`` after commit, and the sweep)."""
    from chat.services.dispatch import dispatch

    return dispatch()


@shared_task(ignore_result=True)
def probe(seconds: float = 0) -> float:
    """Does nothing for ``seconds`` (at most 60): an operator's check that workers take tasks and that a task in
    flight survives a worker's stop (``celery -A config call chat.tasks.probe --args='[5]'``, then its
    ``task_succeeded`` line in the worker's log; docs/operations.md, "Tasks are not lost")."""
    import time

    seconds = max(0.0, min(float(seconds), 60.0))
    time.sleep(seconds)
    return seconds


from chat.messenger import tasks as _messenger_tasks  # noqa: E402,F401  (autodiscovery finds only chat.tasks)

# --- Timed rules (scheduled by django_celery_beat rows, chat/migrations/0003_periodic_tasks.py, 0009, 0011) ---
# Each task only runs its rule (``rule_run``: timed and counted for the metrics); the services are idempotent, so
# a redelivered task (acks_late) is harmless.


@shared_task(acks_late=True, ignore_result=True)
def transfer_unanswered_chats() -> int:
    """Parameter 3/4: chats whose client waited too long for an answer go to another agent."""
    from chat.services.rules import rule_run

    return rule_run("transfer_unanswered")


@shared_task(acks_late=True, ignore_result=True)
def presence_follow_inbox() -> int:
    """Presence follows the open inbox: agents without one for too long are paused or logged out."""
    from chat.services.rules import rule_run

    return rule_run("follow_inbox")


@shared_task(acks_late=True, ignore_result=True)
def close_inactive_chats() -> int:
    """Parameters 1, 2, 8: close chats inactive for too long."""
    from chat.services.rules import rule_run

    return rule_run("close_inactive")


@shared_task(acks_late=True, ignore_result=True)
def stop_auto_assign() -> int:
    """Parameter 13: chats waiting longer than X hours are left for a manual Assign."""
    from chat.services.rules import rule_run

    return rule_run("stop_auto_assign")


@shared_task(acks_late=True, ignore_result=True)
def expire_attachments() -> int:
    """Parameter 14: files past their download hours are removed from storage."""
    from chat.services.rules import rule_run

    return rule_run("expire_attachments")


@shared_task(acks_late=True, ignore_result=True)
def purge_closed_chats() -> int:
    """Parameter 12: delete chats closed more than X days ago with their files."""
    from chat.services.rules import rule_run

    return rule_run("purge_closed")


@shared_task(acks_late=True, ignore_result=True)
def delete_orphan_files() -> int:
    """Files in storage that no attachment names (a process died between a commit and its delete) are removed."""
    from chat.services.rules import rule_run

    return rule_run("delete_orphan_files")


@shared_task(acks_late=True, ignore_result=True)
def release_held_chats() -> int:
    """Business hours: the chats held while their queue was closed are queued when it opens."""
    from chat.services.rules import rule_run

    return rule_run("release_held")


@shared_task(acks_late=True, ignore_result=True)
def send_offline_email(email_id: int) -> str:
    """One attempt to send an offline message's e-mail (the acknowledgement or an agent's reply); a task delivered
    twice finds nothing to claim. Retries are rows of the outbox, not a countdown in a worker's memory."""
    from chat.services.emails import offline_email_deliver

    return offline_email_deliver(email_id=email_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_offline_emails() -> int:
    """The offline e-mails' safety net: the e-mails nobody queued are queued, a dead worker's are given back."""
    from chat.services.rules import rule_run

    return rule_run("offline_emails")
