import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import Attachment, Chat, Message
from chat.services.chats import chat_assign, chat_close
from chat.services.messages import message_post

KEY = "visitor-key-0123456789"


def now_talking_with(name: str) -> str:
    """The transfer's system line as stored: in the site's language (``system_text``)."""
    from chat.services.chats import system_text
    from chat.services.chats.handover import NOW_TALKING_WITH

    return system_text(NOW_TALKING_WITH) % {"name": name}


@pytest.fixture
def visitor():
    return APIClient()


@pytest.fixture
def started(visitor, queue):
    response = visitor.post(
        "/widget/v1/chats/",
        {"name": "Anna", "email": "anna@example.com", "queue": queue.pk, "page": "https://shop.example.com/",
         "visitor_key": KEY},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    visitor.credentials(HTTP_X_VISITOR_TOKEN=data["token"])
    return data


def url(started, tail=""):
    return f"/widget/v1/chats/{started['chat']['id']}/{tail}"


def test_start_returns_the_chat_and_a_token_only_its_hash_is_stored(started):
    chat = Chat.objects.get(pk=started["chat"]["id"])
    assert chat.status == "waiting"
    assert chat.visitor_name == "Anna"
    assert len(started["token"]) >= 43  # 32 random bytes, urlsafe base64
    assert chat.visitor_token_hash == hashlib.sha256(started["token"].encode()).hexdigest()
    assert started["token"] not in chat.visitor_token_hash


def test_start_again_with_the_same_visitor_key_resumes_the_open_chat(started, queue):
    again = APIClient().post("/widget/v1/chats/", {"queue": queue.pk, "visitor_key": KEY}, format="json").json()
    assert again["chat"]["id"] == started["chat"]["id"]
    assert again["resumed"] is True
    assert Chat.objects.count() == 1


def test_a_short_visitor_key_is_refused_naming_the_field(visitor, queue):
    response = visitor.post("/widget/v1/chats/", {"queue": queue.pk, "visitor_key": "abc"}, format="json")
    assert response.status_code == 400
    assert "visitor_key" in response.json()
    assert not Chat.objects.exists()


def test_an_unknown_queue_is_refused_naming_the_field(visitor, queue):
    response = visitor.post("/widget/v1/chats/", {"queue": 987654, "visitor_key": KEY}, format="json")
    assert response.status_code == 400
    assert "queue" in response.json()
    assert not Chat.objects.exists()


def test_a_bad_email_is_refused_naming_the_field(visitor, queue):
    response = visitor.post("/widget/v1/chats/", {"email": "nope", "visitor_key": KEY}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


def test_malformed_json_is_a_400_with_a_message(visitor, queue):
    response = visitor.generic("POST", "/widget/v1/chats/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_the_visitor_posts_and_polls_messages_since_an_id(visitor, started, agent):
    first = visitor.post(url(started, "messages/"), {"body": "Hello"}, format="json")
    assert first.status_code == 201
    chat_assign(chat_id=started["chat"]["id"], agent_id=agent.pk)
    message_post(chat_id=started["chat"]["id"], sender="agent", author_id=agent.pk, body="Hi, Anna")
    newer = visitor.get(url(started, "messages/"), {"since": first.json()["id"]}).json()
    assert [(m["sender"], m["body"], m["author_name"]) for m in newer] == [("agent", "Hi, Anna", agent.first_name)]


def test_without_the_token_header_the_chat_is_closed_to_everyone(started):
    response = APIClient().get(url(started, "messages/"))
    assert response.status_code == 401
    assert "X-Visitor-Token" in response.json()["detail"]


def test_a_wrong_token_is_refused(started):
    client = APIClient()
    client.credentials(HTTP_X_VISITOR_TOKEN="x" * 43)
    assert client.get(url(started, "messages/")).status_code == 401


def test_a_token_opens_only_its_own_chat(started, queue):
    other = APIClient().post("/widget/v1/chats/", {"queue": queue.pk, "visitor_key": "another-visitor-key-42"},
                             format="json").json()
    thief = APIClient()
    thief.credentials(HTTP_X_VISITOR_TOKEN=started["token"])
    response = thief.post(f"/widget/v1/chats/{other['chat']['id']}/messages/", {"body": "hi"}, format="json")
    assert response.status_code == 401
    assert not Message.objects.filter(chat_id=other["chat"]["id"], sender="client").exists()


def test_the_token_is_not_accepted_in_the_url(started):
    response = APIClient().get(url(started, "messages/") + f"?token={started['token']}")
    assert response.status_code == 401


def test_a_posted_message_on_a_closed_chat_is_409(visitor, started):
    chat_close(chat_id=started["chat"]["id"], reason="agent")
    response = visitor.post(url(started, "messages/"), {"body": "Still there?"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "closed"


def test_the_closed_chat_can_still_be_read_by_its_visitor(visitor, started):
    chat_close(chat_id=started["chat"]["id"], reason="agent")
    data = visitor.get(url(started)).json()
    assert data["status"] == "closed"


def test_heartbeat_records_the_visitor_and_cancels_page_closed(visitor, started):
    assert visitor.post(url(started, "page-closed/")).status_code == 204
    assert Chat.objects.get(pk=started["chat"]["id"]).page_closed_at is not None
    assert visitor.post(url(started, "heartbeat/")).status_code == 204
    chat = Chat.objects.get(pk=started["chat"]["id"])
    assert chat.page_closed_at is None
    assert chat.last_heartbeat_at is not None


def test_page_closed_starts_the_inactivity_clock(visitor, started, time_machine):
    moment = timezone.now() + timedelta(minutes=5)
    time_machine.move_to(moment)
    visitor.post(url(started, "page-closed/"))
    closed_at = Chat.objects.get(pk=started["chat"]["id"]).page_closed_at
    assert abs((closed_at - moment).total_seconds()) < 1


def test_the_visitor_closes_the_chat(visitor, started):
    response = visitor.post(url(started, "close/"))
    assert response.status_code == 200
    assert Chat.objects.get(pk=started["chat"]["id"]).close_reason == "client"


def upload(visitor, started, content=b"%PDF-1.4 file", name="invoice.pdf"):
    return visitor.post(
        url(started, "files/"),
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        format="multipart",
    )


def test_the_visitor_uploads_and_downloads_a_file_with_the_header(visitor, started):
    message = upload(visitor, started).json()
    link = message["attachments"][0]["download_url"]
    assert started["token"] not in link
    response = visitor.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 file"
    assert APIClient().get(link).status_code == 401


def test_an_oversized_upload_is_refused_and_nothing_is_stored(visitor, started, chat_settings):
    chat_settings.file_max_size_mb = 1
    chat_settings.save()
    response = upload(visitor, started, content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json() == {"file": ["Plik jest za duży: limit to 1 MB."], "code": "too_large",
                               "limit_bytes": 1024 * 1024}
    assert not Attachment.objects.exists()


def test_an_expired_file_answers_410_gone(visitor, started, time_machine):
    link = upload(visitor, started).json()["attachments"][0]["download_url"]
    time_machine.move_to(timezone.now() + timedelta(hours=24, seconds=1))
    response = visitor.get(link)
    assert response.status_code == 410


def test_a_file_of_another_chat_is_not_found_with_this_token(visitor, started, queue):
    other_client = APIClient()
    other = other_client.post("/widget/v1/chats/", {"queue": queue.pk, "visitor_key": "another-visitor-key-42"},
                              format="json").json()
    other_client.credentials(HTTP_X_VISITOR_TOKEN=other["token"])
    other_file = upload(other_client, other).json()["attachments"][0]["id"]
    response = visitor.get(url(started, f"files/{other_file}/"))
    assert response.status_code == 404


def test_the_token_never_reaches_the_log(visitor, started, caplog):
    with caplog.at_level("DEBUG"):
        visitor.post(url(started, "messages/"), {"body": "Hello"}, format="json")
        APIClient().get(url(started, "messages/"))
    assert started["token"] not in caplog.text


def test_without_any_active_queue_a_start_is_refused_naming_the_queue(visitor, db):
    response = visitor.post("/widget/v1/chats/", {"visitor_key": KEY}, format="json")
    assert response.status_code == 400
    assert "queue" in response.json()
    assert not Chat.objects.exists()


def test_a_start_without_a_queue_goes_to_the_first_active_queue(visitor, queue):
    response = visitor.post("/widget/v1/chats/", {"visitor_key": KEY}, format="json")
    assert response.status_code == 201
    assert response.json()["chat"]["queue"] == queue.pk


def test_the_agents_private_notes_never_reach_the_visitors_message_list(visitor, started, agent):
    chat_id = started["chat"]["id"]
    chat_assign(chat_id=chat_id, agent_id=agent.pk)
    message_post(chat_id=chat_id, sender="note", author_id=agent.pk, body="Secret: he owes us money")
    message_post(chat_id=chat_id, sender="agent", author_id=agent.pk, body="How can I help?")

    listed = visitor.get(url(started, "messages/")).json()

    assert [(m["sender"], m["body"]) for m in listed] == [("agent", "How can I help?")]
    assert "owes" not in visitor.get(url(started, "messages/?since=0")).content.decode()


def test_a_transfer_shows_the_visitor_who_answers_now(visitor, started, agent, agent_factory):
    chat_id = started["chat"]["id"]
    chat_assign(chat_id=chat_id, agent_id=agent.pk)
    bartek = agent_factory(first_name="Bartek", username="bnowak")

    from chat.services.chats import chat_transfer

    chat_transfer(chat_id=chat_id, to_agent_id=bartek.pk, note="internal: refund case")

    listed = visitor.get(url(started, "messages/")).json()
    assert [(m["sender"], m["body"]) for m in listed] == [("system", now_talking_with("Bartek"))]
    assert visitor.get(url(started)).json()["agent_name"] == "Bartek"
