"""Every admin page an administrator uses renders, in Polish (the default) and in English."""

from __future__ import annotations

import pytest

from agents.models import PauseType, PresenceEvent
from chat.models import ChatEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(chat_settings):
    queue = factories.QueueFactory(name="Sprzedaż")
    agent = factories.UserFactory(username="anna")
    presence = factories.PresenceFactory(agent=agent, pause_type=PauseType.objects.get(code="break"))
    PresenceEvent.objects.create(agent=agent, kind=PresenceEvent.Kind.PAUSED, pause_type=presence.pause_type)
    factories.MembershipFactory(queue=queue, agent=agent, priority=5)
    customer = factories.CustomerFactory(name="Jan Kowalski", owner=agent, vip=True)
    chat = factories.ChatFactory(queue=queue, customer=customer)
    factories.MessageFactory(chat=chat, body="Dzień dobry")
    ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.QUEUED, queue=queue)
    return {"queue": queue, "agent": agent, "customer": customer, "chat": chat}


PAGES = [
    # (url, a label in Polish, the same label in English)
    ("/admin/", "Parametry czat", "Chat parameters"),
    ("/admin/chat/chatsettings/1/change/", "Zamknij gdy rozmowa nieaktywna przez X sekund",
     "Close a conversation inactive for X seconds"),
    ("/admin/chat/chatsettings/1/change/", "Przesyłanie plików", "File transfer"),
    ("/admin/chat/chatsettings/1/change/", "Kolejność strategii przydzielania agentów",
     "Agent assignment strategy order"),
    ("/admin/chat/chatsettings/1/change/", "Klient VIP", "VIP client"),
    ("/admin/agents/pausetype/", "administracyjna", "Administrative"),
    ("/admin/agents/pausetype/add/", "Dodaj typ pauzy", "Add pause type"),
    ("/admin/chat/queue/", "Członkowie", "Members"),
    ("/admin/chat/queue/{queue}/change/", "Członkowie i ich priorytety", "Members and their priorities"),
    ("/admin/crm/customer/", "Opiekun", "Owner"),
    ("/admin/crm/customer/{customer}/change/", "Czaty z tym klientem", "Chats with this customer"),
    ("/admin/chat/chat/", "Utworzono", "Created at"),
    ("/admin/chat/chat/{chat}/change/", "Odwiedzający", "Visitor"),
    ("/admin/agents/presence/", "Rozmowa telefoniczna", "On a phone call"),
    ("/admin/agents/presence/{agent}/change/", "Ostatnie zmiany", "Recent changes"),
    ("/admin/agents/presenceevent/", "Historia obecności", "Presence events"),
    ("/admin/agents/user/{agent}/change/", "Kolejki i priorytety", "Queues and priorities"),
    ("/admin/chat/cannedresponse/", "Gotowe odpowiedzi", "Canned responses"),
    ("/admin/chat/cannedresponse/add/", "Skrót", "Shortcut"),
]


def page_url(template: str, data: dict) -> str:
    return template.format(**{name: obj.pk for name, obj in data.items()})


@pytest.mark.parametrize(("url", "polish", "english"), PAGES)
def test_admin_page_renders_in_polish(client, admin_user, data, url, polish, english):
    client.force_login(admin_user)
    response = client.get(page_url(url, data))
    assert response.status_code == 200
    html = response.content.decode()
    assert polish in html
    assert '<html lang="pl"' in html


@pytest.mark.parametrize(("url", "polish", "english"), PAGES)
def test_admin_page_renders_in_english(client, admin_user, data, url, polish, english):
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    response = client.get(page_url(url, data))
    assert response.status_code == 200
    html = response.content.decode()
    assert english in html
    assert '<html lang="en"' in html


def test_admin_header_has_the_language_switch(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/admin/").content.decode()
    assert 'id="language-switch" action="/i18n/setlang/"' in html
    assert 'name="language" value="pl"' in html
    assert 'name="language" value="en"' in html


def test_login_page_has_the_language_switch(client):
    html = client.get("/admin/login/").content.decode()
    assert 'id="language-switch"' in html
    assert "Administracja Parley" in html


def test_language_switch_turns_the_admin_english_and_back(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"}, follow=True)
    assert "Parley administration" in response.content.decode()
    response = client.post("/i18n/setlang/", {"language": "pl", "next": "/admin/"}, follow=True)
    assert "Administracja Parley" in response.content.decode()


def test_the_periodic_task_pages_speak_polish(client, admin_user):
    """Issue 14, point 8: django-celery-beat ships no Polish; its labels, help texts, actions and the schedule's
    words come from our catalogue, and the admin names the columns and the filter it left untranslatable."""
    from django_celery_beat.models import PeriodicTask

    client.force_login(admin_user)
    task = PeriodicTask.objects.get(task="chat.tasks.close_inactive_chats")
    listing = client.get("/admin/django_celery_beat/periodictask/").content.decode()
    change = client.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/").content.decode()
    for polish in ("Włącz wybrane zadania", "Harmonogram", "nazwa zadania", "Ostatnie uruchomienie", "co 30 sekund"):
        assert polish in listing, polish
    for english in ("Enable selected tasks", "Scheduler", "Task Name", "Last Run Datetime", "every 30 seconds"):
        assert english not in listing, english
    for polish in ("Krótki opis tego zadania", "Argumenty pozycyjne", "Opcje wykonania", "Początek (data i czas)"):
        assert polish in change, polish
    for english in ("Short Description For This Task", "Positional Arguments", "Execution Options",
                    "Start Datetime", "Crontab translation"):
        assert english not in change, english


def test_recent_actions_on_a_periodic_task_read_in_polish(client, admin_user):
    """Issue 14, point 8: "recent actions" named the changed fields of a periodic task in English."""
    from django_celery_beat.models import PeriodicTask

    client.force_login(admin_user)
    task = PeriodicTask.objects.get(task="chat.tasks.close_inactive_chats")
    url = f"/admin/django_celery_beat/periodictask/{task.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        regtask=task.task, task="", interval=task.interval_id, description="Zamyka nieaktywne czaty.",
        enabled="on", args="[]", kwargs="{}", headers="{}",
    )
    for name in ("crontab", "solar", "clocked", "start_time", "expires", "expire_seconds", "queue", "exchange",
                 "routing_key", "priority", "last_run_at"):
        data.pop(name, None)
    data = {name: value for name, value in data.items() if not isinstance(value, bool)} | {"enabled": "on"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    index = client.get("/admin/").content.decode()
    assert "co 30 sekund" in index and "every 30 seconds" not in index
    history = client.get(f"/admin/django_celery_beat/periodictask/{task.pk}/history/").content.decode()
    assert "Opis" in history and "Description" not in history
