"""manage.py seed_demo: the demo data, and running it twice changes nothing."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from agents.models import Presence, PresenceEvent, User
from chat.models import Chat, ChatEvent, Message, QueueMembership
from crm.models import Customer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development(settings):
    """The demo data is for a development machine (local settings: DEBUG on)."""
    settings.DEBUG = True


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "users": sorted(User.objects.values_list("username", "is_staff", "is_superuser", "password")),
        "presence": sorted(
            Presence.objects.values_list("agent__username", "logged_in", "pause_type__code", "on_phone_call",
                                         "open_chats")
        ),
        "members": sorted(QueueMembership.objects.values_list("queue__name", "agent__username", "priority")),
        "customers": sorted(Customer.objects.values_list("name", "email", "phone", "owner__username", "vip")),
        "chats": sorted(
            Chat.objects.values_list("id", "channel", "status", "queue__name", "agent__username", "visitor_name")
        ),
        "rows": (Message.objects.count(), ChatEvent.objects.count(), PresenceEvent.objects.count()),
    }


def test_seed_demo_run_twice_gives_the_same_data():
    seed()
    first = snapshot()
    output = seed()
    assert snapshot() == first
    assert "nothing added" in output


def test_seed_demo_prints_the_logins():
    output = seed()
    assert "admin / parley-admin" in output
    assert "anna, bartek, celina, dawid, ewa / parley-agent" in output


def test_seed_demo_logins_work(client):
    # Through the login pages: django-axes checks every login against its request.
    seed()
    admin_login = client.post("/admin/login/", {"username": "admin", "password": "parley-admin", "next": "/admin/"})
    assert (admin_login.status_code, admin_login["Location"]) == (302, "/admin/")
    client.post("/inbox/logout/")
    inbox_login = client.post("/inbox/login/", {"username": "celina", "password": "parley-agent"})
    assert (inbox_login.status_code, inbox_login["Location"]) == (302, "/inbox/")
    assert User.objects.get(username="admin").is_superuser


def test_seed_demo_agents_have_varied_presence():
    seed()
    presence = {p.agent.username: p for p in Presence.objects.select_related("agent", "pause_type")}
    assert set(presence) == {"anna", "bartek", "celina", "dawid", "ewa"}
    assert presence["anna"].available and presence["bartek"].available
    assert presence["celina"].logged_in and presence["celina"].pause_type.code == "break"
    assert presence["dawid"].on_phone_call
    assert not presence["ewa"].logged_in


def test_seed_demo_queues_have_members_with_different_priorities():
    seed()
    for queue in ("Sprzedaż", "Wsparcie"):
        priorities = list(QueueMembership.objects.filter(queue__name=queue).values_list("priority", flat=True))
        assert len(set(priorities)) > 1


def test_seed_demo_customers_have_owners_and_a_vip():
    seed()
    assert Customer.objects.filter(owner__isnull=False).count() >= 2
    assert Customer.objects.filter(vip=True).count() == 1


def test_seed_demo_has_waiting_assigned_and_closed_chats_with_messages():
    seed()
    per_status = dict(Chat.objects.values_list("status").annotate(n=Count("id")))
    assert per_status["waiting"] >= 2 and per_status["assigned"] >= 2 and per_status["closed"] >= 2
    assert not Chat.objects.annotate(n=Count("messages")).filter(n=0).exists()
    assert Chat.objects.filter(status="waiting", auto_assign_stopped_at__isnull=False).count() == 1
    assert ChatEvent.objects.filter(kind=ChatEvent.Kind.CLOSED).count() == per_status["closed"]


def test_seed_demo_has_rated_closed_chats():
    seed()
    rated = Chat.objects.filter(rating__isnull=False)
    assert sorted(rated.values_list("rating", flat=True)) == [4, 5]
    assert not rated.exclude(status="closed").exists()
    assert ChatEvent.objects.filter(kind=ChatEvent.Kind.RATED).count() == 2
    for chat in rated:  # moved back in time with the rest of the chat's history
        assert chat.closed_at <= chat.rated_at < chat.closed_at + timedelta(minutes=1)


def test_seed_demo_chats_in_the_past_keep_their_figures_in_order():
    """The reports and the floor read first_assigned_at and first_response_at: a chat moved back in time moves them
    too (they were left at today, after the chat's close)."""
    seed()
    closed = Chat.objects.filter(status="closed", first_assigned_at__isnull=False)
    assert closed.exists()
    for chat in closed:
        assert chat.queued_at <= chat.first_assigned_at <= chat.closed_at
        assert chat.first_response_at is None or chat.first_assigned_at <= chat.first_response_at <= chat.closed_at


def test_seed_demo_open_chat_counters_match_the_assigned_chats():
    seed()
    for presence in Presence.objects.all():
        assigned = Chat.objects.filter(
            Q(agent_id=presence.agent_id, status="assigned") & ~Q(channel="internal")
        ).count()
        assert presence.open_chats == assigned


def test_seed_demo_refuses_with_debug_off_and_changes_no_password(settings):
    settings.DEBUG = False
    admin = factories.AdminFactory(username="admin", email="ops@example.com")
    agent = factories.UserFactory(username="anna")
    hashes = dict(User.objects.values_list("username", "password"))
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        seed()
    assert dict(User.objects.values_list("username", "password")) == hashes
    admin.refresh_from_db()
    agent.refresh_from_db()
    assert not admin.check_password("parley-admin") and not agent.check_password("parley-agent")
    assert (User.objects.count(), Chat.objects.count(), Customer.objects.count()) == (2, 0, 0)


def test_seed_demo_with_force_runs_with_debug_off(settings):
    settings.DEBUG = False
    factories.AdminFactory(username="admin")
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    assert "Demo data created." in out.getvalue()
    assert User.objects.get(username="admin").check_password("parley-admin")
    assert Chat.objects.exists()
