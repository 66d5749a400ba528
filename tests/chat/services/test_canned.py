"""Canned responses: scopes, shortcuts unique per scope, who may write which, what the reply box offers, and
the placeholders filled for a chat (chat.services.canned, chat.selectors)."""

from __future__ import annotations

import pytest
from django.utils import translation

from chat.models import CannedResponse, Chat
from chat.selectors import canned_for_chat, canned_visible_to
from chat.services.canned import canned_create, canned_delete, canned_fill, canned_update, canned_values
from chat.services.errors import ChatError
from tests import factories

pytestmark = pytest.mark.django_db

Scope = CannedResponse.Scope


@pytest.fixture
def staff():
    return factories.AdminFactory(username="boss", first_name="Bea", last_name="Boss")


@pytest.fixture
def anna():
    return factories.UserFactory(username="anna", first_name="Anna", last_name="Nowak")


@pytest.fixture
def bartek():
    return factories.UserFactory(username="bartek", first_name="Bartek")


def test_staff_creates_one_of_each_scope(staff, anna, queue):
    g = canned_create(actor=staff, scope=Scope.GLOBAL, shortcut="hello", title="Hello", body="Hi!")
    q = canned_create(actor=staff, scope=Scope.QUEUE, queue_id=queue.pk, shortcut="hello", title="Hi", body="Hey")
    p = canned_create(actor=staff, scope=Scope.PERSONAL, owner_id=anna.pk, shortcut="hello", title="Hi", body="Yo")
    assert (g.queue_id, g.owner_id) == (None, None)
    assert (q.queue_id, q.owner_id) == (queue.pk, None)
    assert (p.queue_id, p.owner_id) == (None, anna.pk)


@pytest.mark.parametrize(
    ("scope", "key"), [(Scope.GLOBAL, {}), (Scope.QUEUE, {"queue": True}), (Scope.PERSONAL, {})]
)
def test_a_shortcut_is_unique_within_its_scope(staff, queue, scope, key):
    extra = {"queue_id": queue.pk} if key else {}
    canned_create(actor=staff, scope=scope, shortcut="thanks", title="Thanks", body="Thank you", **extra)
    with pytest.raises(ChatError) as refused:
        canned_create(actor=staff, scope=scope, shortcut="thanks", title="Again", body="Thanks again", **extra)
    assert refused.value.field == "shortcut" and refused.value.code == "unique"
    assert CannedResponse.objects.filter(shortcut="thanks").count() == 1


def test_two_queues_and_two_agents_may_use_the_same_shortcut(staff, anna, bartek):
    q1, q2 = factories.QueueFactory(name="Sales"), factories.QueueFactory(name="Support")
    for queue in (q1, q2):
        canned_create(actor=staff, scope=Scope.QUEUE, queue_id=queue.pk, shortcut="bye", title="Bye", body="Bye")
    for agent in (anna, bartek):
        canned_create(actor=agent, shortcut="bye", title="Bye", body="See you")
    assert CannedResponse.objects.filter(shortcut="bye").count() == 4


def test_the_scope_must_match_its_key(staff, anna, queue):
    with pytest.raises(ChatError) as no_queue:
        canned_create(actor=staff, scope=Scope.QUEUE, shortcut="x", title="X", body="x")
    assert no_queue.value.field == "queue"
    with pytest.raises(ChatError) as queue_on_global:
        canned_create(actor=staff, scope=Scope.GLOBAL, queue_id=queue.pk, shortcut="x", title="X", body="x")
    assert queue_on_global.value.field == "queue"
    with pytest.raises(ChatError) as owner_on_queue:
        canned_create(actor=staff, scope=Scope.QUEUE, queue_id=queue.pk, owner_id=anna.pk, shortcut="x",
                      title="X", body="x")
    assert owner_on_queue.value.field == "owner"
    assert not CannedResponse.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"shortcut": "two words"}, "shortcut"),
        ({"shortcut": ""}, "shortcut"),
        ({"title": ""}, "title"),
        ({"body": ""}, "body"),
        ({"body": " \n "}, "body"),
        ({"body": "x" * 5001}, "body"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(anna, fields, field):
    values = {"shortcut": "ok", "title": "OK", "body": "Fine", **fields}
    with translation.override("en"), pytest.raises(ChatError) as refused:
        canned_create(actor=anna, **values)
    assert refused.value.field == field and str(refused.value)
    assert not CannedResponse.objects.exists()


def test_a_slash_typed_before_the_shortcut_is_dropped(anna):
    assert canned_create(actor=anna, shortcut="/thanks", title="T", body="b").shortcut == "thanks"


def test_an_agent_creates_only_his_own_personal_responses(anna, bartek, queue):
    own = canned_create(actor=anna, shortcut="hi", title="Hi", body="Hi {visitor_name}")
    assert own.scope == Scope.PERSONAL and own.owner_id == anna.pk
    for scope, extra in ((Scope.GLOBAL, {}), (Scope.QUEUE, {"queue_id": queue.pk})):
        with pytest.raises(ChatError) as refused:
            canned_create(actor=anna, scope=scope, shortcut="x", title="X", body="x", **extra)
        assert refused.value.code == "forbidden"
    with pytest.raises(ChatError) as for_bartek:
        canned_create(actor=anna, owner_id=bartek.pk, shortcut="x", title="X", body="x")
    assert for_bartek.value.code == "forbidden"
    assert list(CannedResponse.objects.values_list("shortcut", flat=True)) == ["hi"]


def test_an_agent_edits_and_deletes_only_his_own(staff, anna, bartek):
    his = canned_create(actor=bartek, shortcut="mine", title="Mine", body="b")
    shared = canned_create(actor=staff, scope=Scope.GLOBAL, shortcut="all", title="All", body="b")
    for canned in (his, shared):
        with pytest.raises(ChatError) as refused:
            canned_update(actor=anna, canned_id=canned.pk, body="changed")
        assert refused.value.code == "forbidden"
        with pytest.raises(ChatError):
            canned_delete(actor=anna, canned_id=canned.pk)
    assert set(CannedResponse.objects.values_list("body", flat=True)) == {"b"}

    own = canned_create(actor=anna, shortcut="own", title="Own", body="b")
    assert canned_update(actor=anna, canned_id=own.pk, body="new").body == "new"
    with pytest.raises(ChatError) as promote:
        canned_update(actor=anna, canned_id=own.pk, scope=Scope.GLOBAL)
    assert promote.value.code == "forbidden"
    canned_delete(actor=anna, canned_id=own.pk)
    assert not CannedResponse.objects.filter(pk=own.pk).exists()


def test_staff_edits_anyones_and_may_move_it_to_another_scope(staff, anna, queue):
    canned = canned_create(actor=anna, shortcut="tip", title="Tip", body="b")
    moved = canned_update(actor=staff, canned_id=canned.pk, scope=Scope.QUEUE, queue_id=queue.pk)
    assert (moved.scope, moved.queue_id, moved.owner_id) == (Scope.QUEUE, queue.pk, None)


def test_renaming_onto_a_taken_shortcut_changes_nothing(anna):
    canned_create(actor=anna, shortcut="one", title="One", body="1")
    two = canned_create(actor=anna, shortcut="two", title="Two", body="2")
    with pytest.raises(ChatError) as refused:
        canned_update(actor=anna, canned_id=two.pk, shortcut="one", body="changed")
    assert refused.value.code == "unique"
    two.refresh_from_db()
    assert (two.shortcut, two.body) == ("two", "2")


def test_the_reply_box_offers_global_the_chats_queue_and_his_own(staff, anna, bartek):
    sales, support = factories.QueueFactory(name="Sales"), factories.QueueFactory(name="Support")
    factories.MembershipFactory(agent=anna, queue=sales)
    factories.MembershipFactory(agent=anna, queue=support)
    canned_create(actor=staff, scope=Scope.GLOBAL, shortcut="g", title="G", body="g")
    canned_create(actor=staff, scope=Scope.QUEUE, queue_id=sales.pk, shortcut="sales", title="S", body="s")
    canned_create(actor=staff, scope=Scope.QUEUE, queue_id=support.pk, shortcut="support", title="S", body="s")
    canned_create(actor=anna, shortcut="mine", title="M", body="m")
    canned_create(actor=bartek, shortcut="his", title="H", body="h")
    chat = factories.ChatFactory(queue=sales, status=Chat.Status.ASSIGNED, agent=anna)

    offered = [c.shortcut for c in canned_for_chat(user=anna, chat=chat)]
    assert offered == ["mine", "sales", "g"]  # his own first, then the queue's, then the global ones
    assert [c.shortcut for c in canned_for_chat(user=anna, chat=chat, query="SAL")] == ["sales"]
    # The API lists what applies to her anywhere: her queues' too, never another agent's own.
    assert sorted(c.shortcut for c in canned_visible_to(user=anna)) == ["g", "mine", "sales", "support"]
    assert CannedResponse.objects.count() == canned_visible_to(user=staff).count() == 5


def test_placeholders_are_filled_for_the_chat(anna):
    queue = factories.QueueFactory(name="Sales")
    chat = factories.ChatFactory(queue=queue, visitor_name="Jan", status=Chat.Status.ASSIGNED, agent=anna)
    text = "Hello {visitor_name}, {agent_name} from {queue} here. Order {order_no}? {}"
    assert canned_fill(text, values=canned_values(chat=chat, agent=anna)) == (
        "Hello Jan, Anna Nowak from Sales here. Order {order_no}? {}"
    )


def test_a_missing_name_falls_back_to_the_customer_then_to_nothing(anna):
    customer = factories.CustomerFactory(name="Ewa Kowalska")
    with_customer = factories.ChatFactory(visitor_name="", customer=customer)
    nameless = factories.ChatFactory(visitor_name="", queue=None)
    assert canned_values(chat=with_customer, agent=anna)["visitor_name"] == "Ewa Kowalska"
    assert canned_fill("Hi {visitor_name}! ({queue})", values=canned_values(chat=nameless, agent=anna)) == "Hi ! ()"


def test_in_an_internal_chat_the_visitor_is_the_colleague(anna, bartek):
    chat = factories.ChatFactory(channel=Chat.Channel.INTERNAL, status=Chat.Status.ASSIGNED, queue=None,
                                 initiator=anna, agent=bartek, visitor_name="")
    assert canned_values(chat=chat, agent=anna)["visitor_name"] == "Bartek"
    assert canned_values(chat=chat, agent=bartek)["visitor_name"] == "Anna Nowak"
