"""Each condition and state change of SPEC.md is defined once (chat/models/conditions.py, transitions.py,
agents.models.BUILT_IN_PAUSE_TYPE) and spoken three ways: a Q for the ORM, SQL for the statements, and
``holds()`` for a row already read. These tests check on rows covering every case that the three select
the same rows, and that a change made through the ORM and through SQL leaves the same row."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from psycopg import sql

from agents.models import ACTIVE_AGENT, BUILT_IN_PAUSE_TYPE, PauseType, Presence, User
from chat.models import Attachment, Chat
from chat.models.conditions import (
    CLIENT_IDENTITIES,
    DISPATCHABLE_CHAT,
    EARLIER_CHAT_WITH_AGENT,
    EXPIRED_FILE,
    EXPIRY_DUE,
    HELD_FOR_HOURS,
    HOLDS_SLOT,
    LOGGED_IN_WITH_FREE_SLOT,
    OPEN,
    available_with_free_slot,
    previous_agent_sql,
    same_client,
)
from chat.models.transitions import (
    ASSIGN,
    CLOSE,
    FREE_SLOTS,
    HOLD_FOR_HOURS,
    RELEASE_AT_OPENING,
    REQUEUE,
    RETIRE_FILE,
    STOP_AUTO_ASSIGN,
    TAKE_SLOT,
)
from core.conditions import P, Where
from tests import factories

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def _db(values: dict) -> dict:
    return {
        name: connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
        for name, value in values.items()
    }


def _three_ways(model, condition, **values) -> tuple[set, set, set]:
    """The primary keys the ORM, SQL and ``holds()`` select among every row of ``model``."""
    orm = set(model.objects.filter(condition.q(**values)).values_list("pk", flat=True))
    query = sql.SQL("SELECT x.{pk} FROM {table} x WHERE {condition}").format(
        pk=sql.SQL(model._meta.pk.column), table=sql.Identifier(model._meta.db_table), condition=condition.sql("x")
    )
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(), _db(values))
        in_sql = {row[0] for row in cursor.fetchall()}
    held = {row.pk for row in model.objects.all() if condition.holds(row, **values)}
    return orm, in_sql, held


def _same_rows(model, condition, **values) -> set:
    orm, in_sql, held = _three_ways(model, condition, **values)
    assert orm == in_sql == held
    assert 0 < len(orm) < model.objects.count(), "the rows must tell the condition apart"
    return orm


@pytest.fixture
def chats():
    """A chat in every combination of status, channel and halted automatic assignment (not held for business
    hours); ``held_chats`` adds the held ones."""
    agent = factories.UserFactory()
    made = {}
    for status in Chat.Status.values:
        for channel in Chat.Channel.values:
            for halted in (False, True):
                made[status, channel, halted] = factories.ChatFactory(
                    status=status, channel=channel, agent=agent if status == Chat.Status.ASSIGNED else None,
                    auto_assign_stopped_at=T0 if halted else None,
                    closed_at=T0 if status == Chat.Status.CLOSED else None,
                )
    return made


@pytest.fixture
def held_chats(chats):
    """The same combinations once more, each held for business hours (``hours_held_at``): ``(status, channel,
    halted, held)``."""
    made = {(*key, False): chat for key, chat in chats.items()}
    agent = factories.UserFactory()
    for status, channel, halted in list(chats):
        made[status, channel, halted, True] = factories.ChatFactory(
            status=status, channel=channel, agent=agent if status == Chat.Status.ASSIGNED else None,
            auto_assign_stopped_at=T0 if halted else None, hours_held_at=T0,
            closed_at=T0 if status == Chat.Status.CLOSED else None,
        )
    return made


def test_holds_a_slot_is_an_assigned_customer_chat(chats):
    selected = _same_rows(Chat, HOLDS_SLOT)
    assert selected == {c.pk for (s, channel, _h), c in chats.items() if s == "assigned" and channel != "internal"}


def test_a_dispatchable_chat_is_waiting_not_halted_and_a_customers(chats):
    selected = _same_rows(Chat, DISPATCHABLE_CHAT)
    assert selected == {
        c.pk for (s, channel, halted), c in chats.items() if s == "waiting" and channel != "internal" and not halted
    }


def test_a_chat_held_for_business_hours_is_not_dispatchable(held_chats):
    selected = _same_rows(Chat, DISPATCHABLE_CHAT)
    assert selected == {
        c.pk for (s, channel, halted, held), c in held_chats.items()
        if s == "waiting" and channel != "internal" and not halted and not held
    }


def test_held_for_business_hours_is_waiting_with_a_hold(held_chats):
    selected = _same_rows(Chat, HELD_FOR_HOURS)
    assert selected == {c.pk for (s, _ch, _h, held), c in held_chats.items() if s == "waiting" and held}


def test_the_guards_of_hold_release_and_stop_select_the_same_rows(held_chats):
    hold = _same_rows(Chat, HOLD_FOR_HOURS.when)
    assert hold == {c.pk for (s, _ch, _h, held), c in held_chats.items() if s == "waiting" and not held}
    stop = _same_rows(Chat, STOP_AUTO_ASSIGN.when)
    assert stop == {c.pk for (s, _c, halted, held), c in held_chats.items() if s == "waiting" and not halted
                    and not held}
    assert _same_rows(Chat, RELEASE_AT_OPENING.when) == _same_rows(Chat, HELD_FOR_HOURS)


@pytest.mark.postgresql("a list is an array in SQL (= ANY): the statements of PostgreSQL; SQLite reads the ORM's IN")
def test_a_list_of_values_selects_the_same_rows():
    queues = [factories.QueueFactory() for _ in range(3)]
    for queue in queues:
        factories.ChatFactory(queue=queue)
    selected = _same_rows(Chat, Where(queue_id__in=P("queues")), queues=[queues[0].pk, queues[2].pk])
    assert selected == set(Chat.objects.filter(queue__in=[queues[0], queues[2]]).values_list("pk", flat=True))


def test_open_is_anything_but_closed(chats):
    assert _same_rows(Chat, OPEN) == {c.pk for (status, _c, _h), c in chats.items() if status != "closed"}


@pytest.fixture
def presences():
    """An agent in every combination of logged in, paused, on a call and open chats around the maximum (3)."""
    pause = PauseType.objects.get(code="break")
    made = {}
    for logged_in in (False, True):
        for paused in (False, True):
            for phone in (False, True):
                for open_chats in (0, 2, 3):
                    made[logged_in, paused, phone, open_chats] = factories.PresenceFactory(
                        agent=factories.UserFactory(), logged_in=logged_in, pause_type=pause if paused else None,
                        on_phone_call=phone, open_chats=open_chats,
                    )
    return made


@pytest.mark.parametrize("allow_phone_call", [True, False])
def test_available_with_a_free_slot(presences, allow_phone_call):
    selected = _same_rows(Presence, available_with_free_slot(allow_phone_call=allow_phone_call), max=3)
    assert selected == {
        p.pk for (logged_in, paused, phone, n), p in presences.items()
        if logged_in and not paused and n < 3 and (allow_phone_call or not phone)
    }


def test_logged_in_with_a_free_slot_ignores_pauses_and_calls(presences):
    selected = _same_rows(Presence, LOGGED_IN_WITH_FREE_SLOT, max=3)
    assert selected == {p.pk for (logged_in, _p, _c, n), p in presences.items() if logged_in and n < 3}


def test_an_active_agent_is_an_active_user():
    active, inactive = factories.UserFactory(), factories.UserFactory(is_active=False)
    selected = _same_rows(User, ACTIVE_AGENT)
    assert active.pk in selected and inactive.pk not in selected


def test_the_built_in_pause_types_are_the_five_of_the_data_migration():
    PauseType.objects.create(name="Meeting")
    selected = _same_rows(PauseType, BUILT_IN_PAUSE_TYPE)
    assert set(PauseType.objects.filter(pk__in=selected).values_list("code", flat=True)) == {
        "wrap_up", "administrative", "break", "business_task", "callback_progress",
    }


def test_an_expired_file_and_one_due_for_expiry():
    message = factories.MessageFactory(chat=factories.ChatFactory())
    files = {}
    for retired in (False, True):
        for offset in (-60, 0, 60):
            files[retired, offset] = Attachment.objects.create(
                message=message, token=f"t{retired}{offset}", original_name="a.txt", size=1,
                expires_at=T0 + timedelta(seconds=offset), expired_at=T0 if retired else None,
            )
    expired = _same_rows(Attachment, EXPIRED_FILE, now=T0)
    assert expired == {a.pk for (retired, offset), a in files.items() if retired or offset <= 0}
    due = _same_rows(Attachment, EXPIRY_DUE, now=T0)
    assert due == {a.pk for (retired, offset), a in files.items() if not retired and offset <= 0}


@pytest.mark.parametrize("seed", range(4))
def test_the_previous_agent_is_the_same_for_the_orm_and_the_statements(seed):
    """Random clients (customer, e-mail, Messenger id, widget key, some empty), agents, ties on the creation
    time and internal chats: for every chat the ORM's most recent earlier chat of the same client with an
    agent names the agent that the statements' ``previous_agent_sql`` finds."""
    rng = random.Random(seed)
    agents = [factories.UserFactory() for _ in range(3)]
    customers = [factories.CustomerFactory() for _ in range(2)]
    for _ in range(40):
        factories.ChatFactory(
            channel=rng.choice(["website", "website", "messenger", "internal"]),
            status="closed", closed_at=T0,
            customer=rng.choice([None, *customers]),
            visitor_email=rng.choice(["", "", "a@example.com", "b@example.com"]),
            visitor_messenger_id=rng.choice(["", "", "m1"]),
            visitor_key=rng.choice(["", "", "k1", "k2"]),
            agent=rng.choice([None, *agents]),
            created_at=T0 + timedelta(minutes=rng.randint(0, 5)),
        )
    query = sql.SQL("SELECT c.id, {previous} FROM {chat} c").format(
        previous=previous_agent_sql("c"), chat=sql.Identifier(Chat._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(query.as_string())
        from_sql = dict(cursor.fetchall())
    found = 0
    for chat in Chat.objects.all():
        values = {identity: getattr(chat, identity) for identity in CLIENT_IDENTITIES}
        client = [same_client(identity).q(**values) for identity in CLIENT_IDENTITIES if values[identity]]
        expected = None
        if client:
            any_identity = client[0]
            for q in client[1:]:
                any_identity |= q
            earlier = Chat.objects.filter(
                any_identity, EARLIER_CHAT_WITH_AGENT.q(created_at=chat.created_at, chat=chat.pk)
            ).order_by("-created_at", "-id")
            expected = earlier.values_list("agent_id", flat=True).first()
        assert from_sql[chat.pk] == expected, chat.pk
        found += expected is not None
    assert found > 0


# --- the changes: the ORM and SQL leave the same row ---------------------------------------------------


def _both_ways(model, change, row_a, row_b, *, bind: dict | None = None, **values) -> dict:
    """Apply ``change`` to ``row_a`` through the ORM and to ``row_b`` in SQL; the rows must then be equal."""
    model.objects.filter(pk=row_a.pk).update(**change.orm(**values))
    query = sql.SQL("UPDATE {table} x SET {change} WHERE x.{pk} = %(row)s").format(
        table=sql.Identifier(model._meta.db_table), change=change.sql("x", **(bind or {})),
        pk=sql.SQL(model._meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(), _db({**values, "row": row_b.pk}))
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key and f.attname not in ("token",)]
    a = model.objects.filter(pk=row_a.pk).values(*fields).get()
    b = model.objects.filter(pk=row_b.pk).values(*fields).get()
    assert a == b
    return a


def _pair(**fields):
    """Two chats alike (the factory's sequence only names them)."""
    queue = factories.QueueFactory()
    return (factories.ChatFactory(queue=queue, visitor_name="Twin", **fields) for _ in range(2))


CHANGES_IN_SQL = pytest.mark.postgresql(
    "the changes' SQL runs only in PostgreSQL's statements (GREATEST, UPDATE … FROM)"
)


@pytest.fixture
def frozen_clock(time_machine):
    """The clock is frozen so that the two rows of a pair are created alike."""
    time_machine.move_to(T0 - timedelta(days=1), tick=False)


@CHANGES_IN_SQL
def test_assign_through_the_orm_and_sql(frozen_clock):
    agent = factories.UserFactory()
    customer = factories.CustomerFactory()
    a, b = _pair(status="waiting", customer=customer, awaiting_reply_since=T0, agent_replied_at=T0, agent_read_at=T0)
    row = _both_ways(Chat, ASSIGN, a, b, agent=agent.pk, now=T0)
    assert (row["status"], row["agent_id"], row["assigned_at"], row["agent_replied_at"], row["agent_read_at"]) == (
        "assigned", agent.pk, T0, None, None
    )
    assert row["awaiting_reply_since"] == T0  # an unanswered client message stays unanswered


@pytest.mark.parametrize("queued", [T0 - timedelta(hours=1), None], ids=["queue time kept", "no queue time"])
@CHANGES_IN_SQL
def test_requeue_through_the_orm_and_sql(frozen_clock, queued):
    agent = factories.UserFactory()
    a, b = _pair(status="assigned", agent=agent, assigned_at=T0, queued_at=queued, agent_replied_at=T0)
    row = _both_ways(Chat, REQUEUE, a, b, now=T0)
    assert (row["status"], row["agent_id"], row["assigned_at"], row["queued_at"]) == (
        "waiting", None, None, queued or T0
    )


@CHANGES_IN_SQL
def test_close_through_the_orm_and_sql(frozen_clock):
    agent = factories.UserFactory()
    a, b = _pair(status="assigned", agent=agent, awaiting_reply_since=T0)
    row = _both_ways(Chat, CLOSE, a, b, now=T0, reason="inactivity")
    assert (row["status"], row["closed_at"], row["close_reason"], row["awaiting_reply_since"], row["agent_id"]) == (
        "closed", T0, "inactivity", None, agent.pk
    )


@CHANGES_IN_SQL
def test_hold_for_business_hours_through_the_orm_and_sql(frozen_clock):
    a, b = _pair(status="waiting")
    assert _both_ways(Chat, HOLD_FOR_HOURS, a, b, now=T0)["hours_held_at"] == T0


@pytest.mark.parametrize(("held", "opening", "queued"), [
    (T0 - timedelta(hours=10), T0, T0),
    # A schedule edited after the hold: never queued before the chat was held.
    (T0 - timedelta(hours=1), T0 - timedelta(hours=3), T0 - timedelta(hours=1)),
], ids=["queued at the opening", "never before the hold"])
@CHANGES_IN_SQL
def test_release_at_the_opening_through_the_orm_and_sql(frozen_clock, held, opening, queued):
    a, b = _pair(status="waiting", hours_held_at=held, queued_at=held)
    row = _both_ways(Chat, RELEASE_AT_OPENING, a, b, opening=opening)
    assert (row["hours_held_at"], row["queued_at"]) == (None, queued)


@CHANGES_IN_SQL
def test_assign_clears_a_hold_through_the_orm_and_sql(frozen_clock):
    agent = factories.UserFactory()
    a, b = _pair(status="waiting", hours_held_at=T0)
    assert _both_ways(Chat, ASSIGN, a, b, agent=agent.pk, now=T0)["hours_held_at"] is None


@CHANGES_IN_SQL
def test_stop_automatic_assignment_through_the_orm_and_sql(frozen_clock):
    a, b = _pair(status="waiting")
    assert _both_ways(Chat, STOP_AUTO_ASSIGN, a, b, now=T0)["auto_assign_stopped_at"] == T0


@pytest.mark.parametrize(("change", "open_chats", "values", "after"), [
    (TAKE_SLOT, 2, {"now": T0}, 3),
    (FREE_SLOTS, 3, {"n": 1}, 2),
    (FREE_SLOTS, 2, {"n": 5}, 0),
])
@CHANGES_IN_SQL
def test_slots_through_the_orm_and_sql(frozen_clock, change, open_chats, values, after):
    a, b = (factories.PresenceFactory(agent=factories.UserFactory(), open_chats=open_chats) for _ in range(2))
    assert _both_ways(Presence, change, a, b, **values)["open_chats"] == after


@CHANGES_IN_SQL
def test_retire_a_file_through_the_orm_and_sql(frozen_clock):
    message = factories.MessageFactory(chat=factories.ChatFactory())
    a, b = (
        Attachment.objects.create(message=message, token=f"r{n}", file=f"attachments/x/{n}.txt", original_name="x",
                                  size=1, expires_at=T0)
        for n in range(2)
    )
    row = _both_ways(Attachment, RETIRE_FILE, a, b, now=T0)
    assert (row["expired_at"], row["file"]) == (T0, "")
