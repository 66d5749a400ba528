"""Ceilings of request bodies: JSON and form bodies over their limit are 413 JSON (not Django's
HTML 400 page), and an upload that carries more than its Content-Length (what an ASGI server
hands Django: the whole body, whatever the header said) is stopped at the card's limit."""

from __future__ import annotations

import json
from io import BytesIO
from urllib.parse import urlencode

import pytest
from django.core.handlers.asgi import ASGIRequest

from chat.models import ChatSettings, Message
from chat.services.chats import chat_assign
from core.bodies import BodyTooLarge
from tests.chat.bodies.rawhttp import multipart

MIB = 1024 * 1024


def asgi_request(path: str, body: bytes, *, content_type: str, content_length: int) -> ASGIRequest:
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": [(b"content-type", content_type.encode()), (b"content-length", str(content_length).encode())],
    }
    return ASGIRequest(scope, BytesIO(body))


@pytest.fixture
def my_chat(start_chat, agent):
    return chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)


def test_a_json_body_over_the_limit_is_413_json(agent_api, my_chat):
    body = json.dumps({"body": "x" * MIB})  # 1 MB and a few bytes
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/", data=body, content_type="application/json",
                              HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response.json() == {"detail": ["The request body is too large: the limit is 1 MB."], "code": "too_large",
                               "limit_bytes": MIB}
    assert not Message.objects.filter(chat=my_chat, sender="agent").exists()


def test_a_widget_json_body_over_the_limit_is_413_json(queue):
    from rest_framework.test import APIClient

    body = json.dumps({"visitor_key": "k" * 20, "name": "x" * MIB})
    response = APIClient().post("/widget/v1/chats/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["limit_bytes"] == MIB


def test_form_fields_over_the_limit_are_413_json_not_djangos_400_page(agent_api, my_chat, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/", data=urlencode({"body": "x" * 2000}),
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["limit_bytes"] == 1000
    assert not Message.objects.filter(chat=my_chat, sender="agent").exists()


def test_the_webhook_body_over_its_limit_is_413_json(client, settings, queue):
    settings.MESSENGER_BODY_MAX_BYTES = 1000
    body = json.dumps({"object": "page", "entry": [], "padding": "x" * 1000}).encode()
    response = client.post("/webhooks/messenger", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 1000
    assert not Message.objects.exists()


def test_an_upload_longer_than_its_content_length_is_stopped_at_the_card_limit(db, settings, tmp_path):
    """The card allows 3 MB; the header says 3 MB, the body carries a file of 10 MB. The upload
    handler counts the bytes: the file stops at the limit, and the temporary file Django had
    started (the body is over FILE_UPLOAD_MAX_MEMORY_SIZE) is already gone."""
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=3)
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    content_type, head, tail = multipart({"chat": "1"}, filename="film.mp4", file_size=10 * MIB)
    request = asgi_request("/api/v1/attachments/", head + b"x" * (10 * MIB) + tail, content_type=content_type,
                           content_length=3 * MIB)
    with pytest.raises(BodyTooLarge) as refused:
        request.FILES  # noqa: B018
    assert (refused.value.field, refused.value.limit_bytes) == ("file", 3 * MIB)
    assert list(tmp_path.iterdir()) == []  # removed at once, not when the request is collected
    assert request.upload_handlers  # (the handlers, and any file they held, are still alive here)


def test_an_upload_whose_content_length_passes_the_limit_is_refused_before_a_byte_is_read(db):
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    content_type, head, tail = multipart({}, filename="film.mp4", file_size=10)
    stream = BytesIO(head + b"x" * 10 + tail)
    request = asgi_request("/api/v1/attachments/", b"", content_type=content_type,
                           content_length=MIB + 64 * 1024 + 1)
    request._stream = stream
    with pytest.raises(BodyTooLarge):
        request.FILES  # noqa: B018
    assert stream.tell() == 0


def test_an_upload_within_the_multipart_margin_is_read(db):
    """The margin: the card's limit plus 64 KiB for the other fields and the multipart framing."""
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    content_type, head, tail = multipart({"body": "é" * 10000}, filename="film.mp4", file_size=MIB)
    body = head + b"x" * MIB + tail
    assert len(body) > MIB
    request = asgi_request("/api/v1/attachments/", body, content_type=content_type, content_length=len(body))
    assert request.FILES["file"].size == MIB


def test_a_session_upload_over_the_limit_is_413_json_even_when_the_csrf_check_reads_the_body(agent, my_chat):
    """With session authentication DRF's CSRF check parses the form before the view does: the
    upload handler (installed for every request) refuses it there too."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)
    secret = "s" * 32  # a CSRF cookie and the same token in the header: the check reads the form first
    client.cookies["csrftoken"] = secret
    upload = SimpleUploadedFile("film.mp4", b"x" * (2 * MIB))
    response = client.post("/api/v1/attachments/", {"chat": my_chat.pk, "file": upload}, format="multipart",
                           HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Message.objects.filter(chat=my_chat, sender="agent").exists()


def test_a_form_with_too_many_fields_is_400_json_not_djangos_page(agent_api, my_chat, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = urlencode([("body", "hello")] + [(f"f{n}", "x") for n in range(20)])
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/", data=body,
                              content_type="application/x-www-form-urlencoded", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"detail": ["The request has too many form fields or files."],
                               "code": "too_many_fields"}
    assert not Message.objects.filter(chat=my_chat, sender="agent").exists()
