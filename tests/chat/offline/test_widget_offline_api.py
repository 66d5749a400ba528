"""The widget's offline side (issue 17): its first read says live or offline (and when the queue opens, in the
visitor's language), and the offline form's message becomes an offline chat; bad input writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from chat.models import Attachment, Chat, ChatEvent, ChatSettings, Message, OfflineEmail
from chat.services.availability import opening_phrase
from chat.services.offline import OFFLINE_MESSAGE_MAX
from tests import factories

from .conftest import KEY, MONDAY_OPENING, SATURDAY_NOON, WARSAW, business_hours, offline_form

pytestmark = pytest.mark.django_db

CONFIG = "/widget/v1/config/"
OFFLINE = "/widget/v1/offline-messages/"


def nothing_written(settings=None):
    assert not Chat.objects.exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert not OfflineEmail.objects.exists()
    if settings is not None:
        media = Path(settings.MEDIA_ROOT)
        assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


# --- the first read: live or offline ---------------------------------------------------------------------------


def test_a_queue_without_business_hours_is_live(visitor, clock):
    queue = factories.QueueFactory(name="Support")
    data = visitor.get(CONFIG, {"queue": queue.pk}).json()
    assert data | {"file_max_size_mb": 8} == {
        "queue": queue.pk, "live": True, "offline_reason": "", "next_opening": None, "text": "",
        "file_upload_enabled": True, "file_max_size_mb": 8, "message_max_length": OFFLINE_MESSAGE_MAX,
        "name_max_length": 200, "files_max": 3,
    }


def test_outside_business_hours_the_widget_is_told_closed_and_when_it_opens(visitor, queue, clock):
    data = visitor.get(CONFIG, {"queue": queue.pk}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert (data["live"], data["offline_reason"]) == (False, "closed")
    assert dt.datetime.fromisoformat(data["next_opening"]) == MONDAY_OPENING
    assert data["text"] == "We are closed now. We open on Monday at 08:00."


def test_the_closed_sentence_comes_in_the_widgets_language(visitor, queue, clock):
    data = visitor.get(CONFIG, {"queue": queue.pk}, HTTP_ACCEPT_LANGUAGE="pl").json()
    assert data["text"] == "Jesteśmy teraz zamknięci. Otwieramy w poniedziałek o 08:00."


def test_inside_business_hours_the_queue_is_live(visitor, queue, clock):
    clock(MONDAY_OPENING + dt.timedelta(minutes=1))
    assert visitor.get(CONFIG, {"queue": queue.pk}).json()["live"] is True


def test_without_a_queue_the_first_active_queue_answers(visitor, queue, clock):
    assert visitor.get(CONFIG).json()["queue"] == queue.pk


@pytest.mark.parametrize(
    ("at", "english", "polish"),
    [
        (dt.datetime(2026, 12, 7, 6, 0, tzinfo=WARSAW), "today at 08:00", "dziś o 08:00"),
        (dt.datetime(2026, 12, 6, 20, 0, tzinfo=WARSAW), "tomorrow at 08:00", "jutro o 08:00"),
        (SATURDAY_NOON, "on Monday at 08:00", "w poniedziałek o 08:00"),
        (dt.datetime(2026, 11, 20, 12, 0, tzinfo=WARSAW), "on 7 December at 08:00", "7 grudnia o 08:00"),
    ],
)
def test_the_opening_is_named_by_today_tomorrow_its_weekday_or_its_date(at, english, polish):
    with translation.override("en"):
        assert opening_phrase(MONDAY_OPENING, at=at, zone=WARSAW) == english
    with translation.override("pl"):
        assert opening_phrase(MONDAY_OPENING, at=at, zone=WARSAW) == polish


def test_the_opening_is_said_in_the_queues_time_zone(visitor, clock):
    tokyo = business_hours(factories.QueueFactory(name="Tokyo"))
    tokyo.time_zone = "Asia/Tokyo"
    tokyo.save()
    text = visitor.get(CONFIG, {"queue": tokyo.pk}, HTTP_ACCEPT_LANGUAGE="en").json()["text"]
    assert text == "We are closed now. We open on Monday at 08:00."  # 08:00 in Tokyo, not in Warsaw


def test_with_nobody_of_the_queue_logged_in_a_queue_that_says_so_is_offline(visitor, agent_factory, clock):
    support = factories.QueueFactory(name="Support", offline_without_agents=True)
    anna = agent_factory(queue=support, logged_in=False)
    data = visitor.get(CONFIG, {"queue": support.pk}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert (data["live"], data["offline_reason"], data["next_opening"]) == (False, "no_agents", None)
    assert data["text"] == "Nobody is available to chat right now."
    anna.presence.logged_in = True
    anna.presence.save()
    assert visitor.get(CONFIG, {"queue": support.pk}).json()["live"] is True


def test_nobody_logged_in_keeps_a_queue_live_unless_it_says_otherwise(visitor, agent_factory, clock):
    support = factories.QueueFactory(name="Support")
    agent_factory(queue=support, logged_in=False)
    assert visitor.get(CONFIG, {"queue": support.pk}).json()["live"] is True


def test_an_unknown_queue_is_refused_naming_the_field(visitor, queue):
    response = visitor.get(CONFIG, {"queue": 987654}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"queue": ["This queue does not exist."], "code": "not_found"}


# --- the offline form -------------------------------------------------------------------------------------------


def test_an_offline_message_becomes_an_offline_chat_held_until_the_opening(visitor, queue, clock):
    response = visitor.post(OFFLINE, offline_form(queue), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.content
    data = response.json()
    chat = Chat.objects.get()
    assert data == {
        "chat": chat.pk, "email": "zofia@example.com", "held": True,
        "next_opening": MONDAY_OPENING.isoformat(),
        "text": "We have received your message and will answer you by e-mail at zofia@example.com.",
    }
    assert (chat.offline, chat.channel, chat.status, chat.queue_id) == (True, "website", "waiting", queue.pk)
    assert chat.hours_held_at == SATURDAY_NOON
    assert (chat.visitor_name, chat.visitor_email, chat.visitor_key) == ("Zofia Nowak", "zofia@example.com", "")
    assert list(chat.messages.values_list("sender", "body")) == [
        ("client", "Czy dostarczacie w niedzielę?\nPozdrawiam")
    ]
    assert list(OfflineEmail.objects.values_list("kind", "recipient", "language", "status")) == [
        ("acknowledgement", "zofia@example.com", "en", "pending")
    ]
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.HELD_FOR_HOURS).exists()


def test_an_offline_message_with_files_keeps_them_on_the_message(visitor, queue, clock):
    form = offline_form(queue)
    form["file"] = [SimpleUploadedFile("plan.txt", b"floor plan", "text/plain"),
                    SimpleUploadedFile("photo.jpg", b"\xff\xd8 photo", "image/jpeg")]
    response = visitor.post(OFFLINE, form, format="multipart")
    assert response.status_code == 201, response.content
    message = Message.objects.get()
    assert sorted(message.attachments.values_list("original_name", "size")) == [("photo.jpg", 8), ("plan.txt", 10)]


def test_a_second_offline_message_of_the_same_browser_is_a_chat_of_its_own(visitor, queue, clock):
    assert visitor.post(OFFLINE, offline_form(queue), format="json").status_code == 201
    assert visitor.post(OFFLINE, offline_form(queue, message="One more thing."), format="json").status_code == 201
    assert Chat.objects.filter(offline=True).count() == 2
    assert OfflineEmail.objects.count() == 2


def test_a_live_chat_started_later_by_the_same_browser_does_not_resume_the_offline_one(visitor, queue, clock):
    visitor.post(OFFLINE, offline_form(queue), format="json")
    clock(MONDAY_OPENING + dt.timedelta(hours=1))
    started = visitor.post("/widget/v1/chats/", {"name": "Zofia", "queue": queue.pk, "visitor_key": KEY},
                           format="json").json()
    assert started["resumed"] is False
    assert Chat.objects.get(pk=started["chat"]["id"]).offline is False


def test_if_the_queue_opened_meanwhile_the_offline_message_is_still_taken_and_queued_now(visitor, queue, clock):
    clock(MONDAY_OPENING + dt.timedelta(minutes=5))
    response = visitor.post(OFFLINE, offline_form(queue), format="json")
    assert response.status_code == 201
    assert response.json()["held"] is False
    chat = Chat.objects.get()
    assert (chat.offline, chat.hours_held_at, chat.status) == (True, None, "waiting")
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.QUEUED).exists()


# --- bad input: 4xx naming the field, nothing written ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "field", "message"),
    [
        ({"email": None}, 400, "email", "Give your e-mail address: we will answer there."),
        ({"email": "  "}, 400, "email", "Give your e-mail address: we will answer there."),
        ({"email": "zofia@"}, 400, "email", "Enter a valid e-mail address."),
        ({"name": ""}, 400, "name", "Tell us your name."),
        ({"name": "x" * 201}, 400, "name", "The name is too long (at most 200 characters)."),
        ({"message": "   "}, 400, "message", "Write your message."),
        ({"message": None}, 400, "message", "Write your message."),
        ({"message": "x" * (OFFLINE_MESSAGE_MAX + 1)}, 400, "message",
         f"The message is too long (at most {OFFLINE_MESSAGE_MAX} characters)."),
        ({"queue": 987654}, 400, "queue", "This queue does not exist."),
        ({"visitor_key": "short"}, 400, "visitor_key", "Use 16-64 letters, digits, '-' or '_'."),
        ({"page": "javascript:alert(1)"}, 400, "page", "Enter a valid URL."),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(visitor, queue, clock, fields, status, field,
                                                                  message, settings):
    response = visitor.post(OFFLINE, offline_form(queue, **fields), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status, response.content
    assert response.json()[field] == [message]
    nothing_written(settings)


def test_the_refusal_comes_in_the_visitors_language(visitor, queue, clock):
    response = visitor.post(OFFLINE, offline_form(queue, email="zofia@"), format="json", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 400
    assert response.json()["email"] == ["Podaj poprawny adres e-mail."]


def test_malformed_json_is_refused_and_writes_nothing(visitor, queue, clock):
    response = visitor.generic("POST", OFFLINE, '{"name": "Zofia", "email": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    nothing_written()


def test_a_file_over_the_cards_limit_is_refused_with_413_and_nothing_is_written(visitor, queue, clock, settings):
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(file_max_size_mb=1)
    form = offline_form(queue)
    form["file"] = [SimpleUploadedFile("film.mp4", b"x" * (1024 * 1024 + 1), "video/mp4")]
    response = visitor.post(OFFLINE, form, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response.json()["file"] == ["The file is too large: the limit is 1 MB."]
    nothing_written(settings)


def test_files_are_refused_when_file_transfer_is_off_and_nothing_is_written(visitor, queue, clock, settings):
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(file_upload_enabled=False)
    form = offline_form(queue)
    form["file"] = [SimpleUploadedFile("plan.txt", b"floor plan", "text/plain")]
    response = visitor.post(OFFLINE, form, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"file": ["File transfer is switched off."], "code": "disabled"}
    nothing_written(settings)


def test_more_than_three_files_are_refused_and_nothing_is_written(visitor, queue, clock, settings):
    form = offline_form(queue)
    form["file"] = [SimpleUploadedFile(f"f{n}.txt", b"x", "text/plain") for n in range(4)]
    response = visitor.post(OFFLINE, form, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"file": ["Attach at most 3 files."], "code": "too_many"}
    nothing_written(settings)


def test_an_empty_file_is_refused_and_nothing_is_written(visitor, queue, clock, settings):
    form = offline_form(queue)
    form["file"] = [SimpleUploadedFile("plan.txt", b"floor plan", "text/plain"),
                    SimpleUploadedFile("empty.txt", b"", "text/plain")]
    response = visitor.post(OFFLINE, form, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["file"] == ["The file is empty."]
    nothing_written(settings)


def test_the_offline_form_is_throttled_per_browser_like_the_chat_start(visitor, queue, clock, throttle_rates):
    throttle_rates(widget_visitor="2/min")
    assert visitor.post(OFFLINE, offline_form(queue), format="json").status_code == 201
    assert visitor.post(OFFLINE, offline_form(queue), format="json").status_code == 201
    response = visitor.post(OFFLINE, offline_form(queue), format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert Chat.objects.count() == 2


def test_the_offline_form_is_throttled_per_address(visitor, queue, clock, throttle_rates):
    throttle_rates(widget_ip="1/min")
    assert visitor.post(OFFLINE, offline_form(queue), format="json").status_code == 201
    assert visitor.post(OFFLINE, offline_form(queue, visitor_key="another-browser-key-42"),
                        format="json").status_code == 429


class UnreadableUpload(SimpleUploadedFile):
    """An upload whose bytes cannot be read (a disk error, a client gone mid-upload): it passes the checks of the
    form, then fails while it is being stored."""

    def chunks(self, chunk_size=None):
        yield b"the first bytes"
        raise OSError("the upload could not be read")


def test_a_file_that_fails_while_stored_leaves_nothing_half_written(queue, clock, settings):
    from chat.services.offline import offline_message_submit

    good = SimpleUploadedFile("plan.txt", b"floor plan", "text/plain")
    bad = UnreadableUpload("photo.jpg", b"x" * 100, "image/jpeg")
    with pytest.raises(OSError, match="could not be read"):
        offline_message_submit(queue_id=queue.pk, name="Zofia", email="zofia@example.com", body="Hello",
                               files=[good, bad])
    nothing_written(settings)  # no chat, message, attachment or e-mail, and plan.txt left the storage too
