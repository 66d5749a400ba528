from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat.models import Attachment, Message
from chat.services.chats import chat_assign


@pytest.fixture
def my_chat(start_chat, agent):
    return chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)


def upload(api, chat, content=b"hello file", name="note.txt"):
    return api.post(
        "/api/v1/attachments/",
        {"chat": chat.pk, "file": SimpleUploadedFile(name, content, content_type="text/plain")},
        format="multipart",
    )


def test_upload_a_file_into_my_chat(agent_api, my_chat):
    response = upload(agent_api, my_chat)
    assert response.status_code == 201
    data = response.json()
    assert data["name"] == "note.txt"
    assert data["size"] == 10
    assert Message.objects.get(pk=data["message"]).sender == "agent"


def test_download_is_an_attachment_with_nosniff(agent_api, my_chat):
    url = upload(agent_api, my_chat).json()["download_url"]
    response = agent_api.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="note.txt"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"hello file"


def test_an_oversized_file_is_refused_and_nothing_is_stored(agent_api, my_chat, chat_settings, settings):
    chat_settings.file_max_size_mb = 1
    chat_settings.save()
    response = upload(agent_api, my_chat, content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["limit_bytes"] == 1024 * 1024
    assert "file" in response.json()
    assert not Attachment.objects.exists()
    assert not Message.objects.filter(chat=my_chat, sender="agent").exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_an_expired_file_answers_410_gone(agent_api, my_chat, time_machine):
    url = upload(agent_api, my_chat).json()["download_url"]
    time_machine.move_to(timezone.now() + timedelta(hours=25))
    response = agent_api.get(url)
    assert response.status_code == 410
    assert response.json()["code"] == "gone"


def test_another_agents_file_is_404(agent_api, other_api, my_chat):
    url = upload(agent_api, my_chat).json()["download_url"]
    assert other_api.get(url).status_code == 404


def test_upload_into_another_agents_chat_is_404(other_api, my_chat):
    assert upload(other_api, my_chat).status_code == 404
    assert not Attachment.objects.exists()


def test_upload_without_a_file_names_the_field(agent_api, my_chat):
    response = agent_api.post("/api/v1/attachments/", {"chat": my_chat.pk}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_upload_when_file_transfer_is_off_is_refused(agent_api, my_chat, chat_settings):
    chat_settings.file_upload_enabled = False
    chat_settings.save()
    response = upload(agent_api, my_chat)
    assert response.status_code == 400
    assert response.json()["code"] == "disabled"


def test_an_upload_answers_201_with_every_number_of_the_card_at_its_maximum(agent_api, my_chat):
    """Issue 11, point 10: ``file_download_hours = 100000000`` made every upload answer 500 (OverflowError)."""
    from chat.services.settings import chat_settings_update
    from tests.chat.card_bounds import MAXIMUM

    chat_settings_update(**MAXIMUM)
    before = timezone.now()
    response = upload(agent_api, my_chat)
    assert response.status_code == 201
    attachment = Attachment.objects.get(pk=response.json()["id"])
    hours = timedelta(hours=MAXIMUM["file_download_hours"])
    assert before + hours <= attachment.expires_at <= timezone.now() + hours
    assert agent_api.get(response.json()["download_url"]).status_code == 200
