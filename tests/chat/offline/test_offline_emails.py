"""The e-mails of offline messages (issue 17): the acknowledgement (content, both languages, when to expect an
answer), every agent reply e-mailed to the visitor, and the outbox that loses none of them."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import tasks
from chat.models import Chat, ChatEvent, ChatSettings, Message, OfflineEmail
from chat.services.chats import chat_assign, chat_close, chat_start
from chat.services.emails import MAX_ATTEMPTS, QUEUE_GRACE, offline_email_deliver, offline_emails_sweep, retry_delay
from chat.services.files import attachment_create
from chat.services.messages import message_post
from chat.services.offline import offline_message_submit
from chat.services.rules import chats_purge_closed

from .conftest import MONDAY_OPENING, SATURDAY_NOON

pytestmark = pytest.mark.django_db

S = OfflineEmail.Status


@pytest.fixture
def submit(queue, django_capture_on_commit_callbacks):
    """Leave an offline message through the service, running what it queues after the commit."""

    def leave(*, language="en", body="Do you deliver on Sundays?\nRegards", files=(), **fields):
        values = {"queue_id": queue.pk, "name": "Zofia Nowak", "email": "zofia@example.com", "body": body,
                  "files": files, "language": language, **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return offline_message_submit(**values).chat

    return leave


@pytest.fixture
def agent(agent_factory, queue):
    return agent_factory(queue=queue, username="anna", first_name="Anna")


def reply(chat, agent, body, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return message_post(chat_id=chat.pk, sender=kwargs.pop("sender", Message.Sender.AGENT), body=body,
                            author_id=agent.pk, **kwargs)


# --- the acknowledgement ---------------------------------------------------------------------------------------


def test_the_acknowledgement_quotes_the_message_and_says_when_we_open_in_english(submit, clock, eager):
    chat = submit(language="en")
    [email] = mail.outbox
    assert email.to == ["Zofia Nowak <zofia@example.com>"]
    assert email.subject == f"We have received your message (no. {chat.pk})"
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Hello Zofia Nowak," in email.body
    assert "We are closed now; we open on Monday at 08:00 and will answer you by e-mail then." in email.body
    assert "Your message (5 December 2026, 12:00):" in email.body
    assert "> Do you deliver on Sundays?\n> Regards" in email.body
    assert f"Your message's number is {chat.pk}." in email.body
    [(html, mime)] = email.alternatives
    assert mime == "text/html"
    assert '<html lang="en">' in html
    assert "Do you deliver on Sundays?<br>Regards" in html
    assert "we open on Monday at 08:00" in html
    sent = OfflineEmail.objects.get()
    assert (sent.status, sent.attempts, sent.sent_at) == (S.SENT, 1, SATURDAY_NOON)
    event = ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.EMAIL_ACKNOWLEDGED)
    assert event.data == {"email": sent.pk, "to": "zofia@example.com", "message": None}


def test_the_acknowledgement_speaks_polish_to_a_polish_visitor(submit, clock, eager):
    chat = submit(language="pl", body="Czy dostarczacie w niedzielę?")
    [email] = mail.outbox
    assert email.subject == f"Otrzymaliśmy Twoją wiadomość (nr {chat.pk})"
    assert "Dzień dobry, Zofia Nowak," in email.body
    assert "Jesteśmy teraz zamknięci; otwieramy w poniedziałek o 08:00 i wtedy odpowiemy Ci e-mailem." in email.body
    assert "Twoja wiadomość (5 grudnia 2026, 12:00):" in email.body
    assert "> Czy dostarczacie w niedzielę?" in email.body
    assert '<html lang="pl">' in email.alternatives[0][0]


def test_when_the_queue_is_open_but_nobody_is_there_the_acknowledgement_promises_an_answer_soon(
    submit, clock, eager, queue
):
    clock(MONDAY_OPENING + dt.timedelta(hours=1))
    queue.offline_without_agents = True
    queue.save()
    submit(language="en")
    [email] = mail.outbox
    assert "We will answer you by e-mail as soon as one of us is free." in email.body
    assert "closed" not in email.body


def test_the_acknowledgement_names_the_files_the_visitor_attached(submit, clock, eager):
    submit(files=[SimpleUploadedFile("plan.txt", b"floor plan", "text/plain")])
    assert "Attached: plan.txt" in mail.outbox[0].body


def test_the_acknowledgement_is_sent_only_after_the_commit_and_not_at_all_when_it_rolls_back(queue, clock, eager):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        offline_message_submit(queue_id=queue.pk, name="Zofia", email="zofia@example.com", body="Hello")
        raise RuntimeError("the request failed later")
    assert not OfflineEmail.objects.exists()
    assert mail.outbox == []


def test_with_a_reply_to_address_the_visitors_answers_go_there(submit, clock, eager, settings):
    settings.EMAIL_REPLY_TO = "Support <support@example.com>"
    submit()
    assert mail.outbox[0].reply_to == ["Support <support@example.com>"]


# --- the agent's reply -----------------------------------------------------------------------------------------


def test_the_agents_reply_in_an_offline_chat_is_e_mailed_to_the_visitor_in_his_language(
    submit, clock, eager, agent, django_capture_on_commit_callbacks
):
    chat = submit(language="pl", body="Czy dostarczacie w niedzielę?")
    clock(MONDAY_OPENING + dt.timedelta(minutes=3))
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    mail.outbox.clear()
    message = reply(chat, agent, "Tak, w niedzielę do 14:00.\nAnna", django_capture_on_commit_callbacks)
    [email] = mail.outbox
    assert email.to == ["Zofia Nowak <zofia@example.com>"]
    assert email.subject == f"Odp.: Twoja wiadomość (nr {chat.pk})"
    assert "Anna odpowiada na Twoją wiadomość:" in email.body
    assert "Tak, w niedzielę do 14:00.\nAnna" in email.body
    assert "> Czy dostarczacie w niedzielę?" in email.body
    assert "Auto-Submitted" not in email.extra_headers
    assert "Tak, w niedzielę do 14:00.<br>Anna" in email.alternatives[0][0]
    event = ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.EMAIL_REPLY_SENT)
    assert event.data["message"] == message.pk
    assert OfflineEmail.objects.get(message=message).status == S.SENT


def test_the_agents_file_goes_with_the_reply(submit, clock, eager, agent, django_capture_on_commit_callbacks):
    chat = submit()
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        attachment_create(uploaded_file=SimpleUploadedFile("offer.pdf", b"%PDF offer", "application/pdf"),
                          chat_id=chat.pk, sender=Message.Sender.AGENT, author_id=agent.pk, body="Our offer.")
    [email] = mail.outbox
    assert email.attachments == [("offer.pdf", b"%PDF offer", "application/pdf")]
    assert "Attached: offer.pdf" in email.body


def test_private_notes_and_system_lines_are_never_e_mailed(submit, clock, eager, agent,
                                                          django_capture_on_commit_callbacks):
    chat = submit()
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    mail.outbox.clear()
    reply(chat, agent, "The customer is a reseller.", django_capture_on_commit_callbacks, sender=Message.Sender.NOTE)
    with django_capture_on_commit_callbacks(execute=True):
        chat_close(chat_id=chat.pk, reason=Chat.CloseReason.AGENT, actor=agent)
    assert mail.outbox == []
    assert list(OfflineEmail.objects.values_list("kind", flat=True)) == ["acknowledgement"]


def test_a_reply_in_a_live_chat_is_not_e_mailed(queue, clock, eager, agent, django_capture_on_commit_callbacks):
    clock(MONDAY_OPENING + dt.timedelta(hours=1))
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Jan", visitor_email="jan@x.pl")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    reply(chat, agent, "Hello!", django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not OfflineEmail.objects.exists()


# --- never lost ------------------------------------------------------------------------------------------------


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep and what it queues after its commit."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return offline_emails_sweep()

    return run


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_server_down(settings):
    """Django's SMTP backend pointed at a port where nothing listens: every attempt fails to connect."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2


def test_a_mail_server_that_is_down_is_tried_again_later_until_it_answers(sweep, submit, clock, eager, mail_server_down,
                                                                           settings):
    chat = submit()
    email = OfflineEmail.objects.get()
    assert (email.status, email.attempts) == (S.PENDING, 1)
    assert email.next_attempt_at == SATURDAY_NOON + retry_delay(1)
    assert "ConnectionRefusedError" in email.error
    assert sweep() == 0  # not due yet
    clock(SATURDAY_NOON + retry_delay(1) + QUEUE_GRACE)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    assert sweep() == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.error) == (S.SENT, 2, "")
    assert len(mail.outbox) == 1
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.EMAIL_ACKNOWLEDGED).count() == 1


def test_after_its_last_attempt_an_e_mail_is_marked_failed(submit, clock, eager, mail_server_down):
    submit()
    email = OfflineEmail.objects.get()
    OfflineEmail.objects.filter(pk=email.pk).update(attempts=MAX_ATTEMPTS - 1, next_attempt_at=SATURDAY_NOON)
    assert offline_email_deliver(email_id=email.pk) == S.FAILED
    email.refresh_from_db()
    assert (email.status, email.attempts) == (S.FAILED, MAX_ATTEMPTS)
    assert not ChatEvent.objects.filter(kind=ChatEvent.Kind.EMAIL_ACKNOWLEDGED).exists()


def test_an_e_mail_nobody_queued_is_queued_by_the_sweep(sweep, submit, clock, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the commit queues a task to a broker nobody reads (memory://)
    submit()
    email = OfflineEmail.objects.get()
    assert email.status == S.PENDING and mail.outbox == []
    OfflineEmail.objects.filter(pk=email.pk).update(queued_at=None)  # as when the broker was down
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert sweep() == 1
    assert OfflineEmail.objects.get().status == S.SENT
    assert len(mail.outbox) == 1
    assert sweep() == 0  # idle


def test_a_task_lost_after_it_was_queued_is_queued_again_after_the_grace(sweep, submit, clock, settings):
    submit()  # queued to the memory broker, never run
    assert sweep() == 0
    clock(SATURDAY_NOON + QUEUE_GRACE)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert sweep() == 1
    assert len(mail.outbox) == 1


def test_an_e_mail_left_sending_by_a_dead_worker_is_given_back_and_sent(sweep, submit, clock, settings):
    submit()
    email = OfflineEmail.objects.get()
    OfflineEmail.objects.filter(pk=email.pk).update(status=S.SENDING, claimed_at=SATURDAY_NOON, attempts=1)
    clock(SATURDAY_NOON + dt.timedelta(minutes=11))
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert sweep() == 2  # given back, then queued
    assert OfflineEmail.objects.get().status == S.SENT
    assert len(mail.outbox) == 1


def test_a_task_delivered_twice_sends_one_e_mail(submit, clock):
    submit()
    email = OfflineEmail.objects.get()
    assert tasks.send_offline_email.apply(args=[email.pk]).get() == S.SENT
    assert tasks.send_offline_email.apply(args=[email.pk]).get() == S.SENT
    assert len(mail.outbox) == 1
    assert ChatEvent.objects.filter(kind=ChatEvent.Kind.EMAIL_ACKNOWLEDGED).count() == 1


def test_the_sweep_task_runs_the_rule(submit, clock, settings, django_capture_on_commit_callbacks):
    submit()
    OfflineEmail.objects.update(queued_at=None)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_offline_emails.apply().get() == 1
    assert len(mail.outbox) == 1


def test_purging_an_old_closed_offline_chat_deletes_its_e_mails(submit, clock, eager, agent):
    chat = submit()
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    chat_close(chat_id=chat.pk, reason=Chat.CloseReason.AGENT, actor=agent)
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(delete_chats_after_days=1)
    clock(SATURDAY_NOON + dt.timedelta(days=2))
    assert chats_purge_closed() == 1
    assert not OfflineEmail.objects.exists()


def test_the_sweeps_schedule_exists_and_creating_it_again_changes_nothing():
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    migration = importlib.import_module("chat.migrations.0024_offline_emails_task")
    row = PeriodicTask.objects.get(task="chat.tasks.sweep_offline_emails")
    assert (row.interval.every, row.interval.period, row.enabled, row.expire_seconds) == (30, "seconds", True, 30)
    before = list(PeriodicTask.objects.order_by("id").values_list("name", "task", "interval_id"))
    migration.create_offline_emails_task(apps)
    assert list(PeriodicTask.objects.order_by("id").values_list("name", "task", "interval_id")) == before
