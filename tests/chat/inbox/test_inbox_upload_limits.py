"""The inbox's upload form: a body over the card's limit is refused before it is read, and the
agent sees the form's message (413 with the composer, which inbox.js swaps in)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chat.models import Attachment, ChatSettings, Message

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}
MIB = 1024 * 1024


def test_a_body_over_the_card_limit_answers_413_with_the_forms_message(agent_client, my_chat, settings):
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    upload = SimpleUploadedFile("film.mp4", b"x" * (2 * MIB))
    response = agent_client.post(reverse("inbox:file_upload", args=[my_chat.pk]), {"file": upload}, **HTMX)
    assert response.status_code == 413
    content = response.content.decode()
    assert 'id="composer"' in content
    assert 'data-testid="upload-error"' in content
    assert "The file is too large: the limit is 1 MB." in content
    assert not Attachment.objects.exists()
    assert not Message.objects.filter(chat=my_chat).exclude(sender=Message.Sender.SYSTEM).exists()


def test_a_file_over_the_limit_within_the_margin_is_stopped_with_the_same_answer(agent_client, my_chat):
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    upload = SimpleUploadedFile("film.mp4", b"x" * (MIB + 1))
    response = agent_client.post(reverse("inbox:file_upload", args=[my_chat.pk]), {"file": upload}, **HTMX)
    assert response.status_code == 413
    assert "The file is too large: the limit is 1 MB." in response.content.decode()
    assert not Attachment.objects.exists()


def test_without_javascript_the_refusal_is_a_message_on_the_chat_page(agent_client, my_chat):
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    upload = SimpleUploadedFile("film.mp4", b"x" * (2 * MIB))
    response = agent_client.post(reverse("inbox:file_upload", args=[my_chat.pk]), {"file": upload},
                                 HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "The file is too large: the limit is 1 MB." in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_upload_still_needs_the_csrf_token(agent, my_chat):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 small", content_type="application/pdf")
    response = client.post(reverse("inbox:file_upload", args=[my_chat.pk]), {"file": upload}, **HTMX)
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_with_the_csrf_token_the_upload_is_stored(agent, my_chat):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    client.get(reverse("inbox:chat", args=[my_chat.pk]))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 small", content_type="application/pdf")
    response = client.post(reverse("inbox:file_upload", args=[my_chat.pk]), {"file": upload},
                           HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    assert Attachment.objects.get().original_name == "offer.pdf"


def test_form_fields_over_their_limit_answer_413_with_the_message(agent_client, my_chat, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 small", content_type="application/pdf")
    response = agent_client.post(reverse("inbox:file_upload", args=[my_chat.pk]),
                                 {"file": upload, "note": "x" * 2000}, **HTMX)
    assert response.status_code == 413
    assert "The request body is too large" in response.content.decode()
    assert not Attachment.objects.exists()
