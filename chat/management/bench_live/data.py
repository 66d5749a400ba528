"""bench_live's scenario: its own PostgreSQL database, agents with sessions in queues, open website chats with
visitor tokens, all bulk-created; and the spec the client and publisher processes read."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from agents.models import Presence, User
from chat.models import Chat, Queue, QueueMembership
from chat.services.visitors import visitor_token_hash

# A table only bench_live creates: a database without it is someone else's and is never dropped.
MARKER_TABLE = "bench_live_marker"
USERNAME_PREFIX = "bench-live-"
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def bench_database_use(name: str) -> None:
    """Make ``name`` a fresh, migrated database of bench_live's and point the default connection at it.

    Refuses a name that is not plain, the database of DATABASE_URL, and an existing database that bench_live
    did not create (no marker table): those may hold someone's data."""
    if not name.replace("_", "").isalnum():
        raise CommandError("--database must be a plain name (letters, digits, underscores).")
    if name == connection.settings_dict["NAME"]:
        raise CommandError("--database must differ from the database of DATABASE_URL: bench_live drops it first.")
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
    _connect_to(name)
    if exists and MARKER_TABLE not in connection.introspection.table_names():
        raise CommandError(
            f"Database {name!r} exists and was not created by bench_live (no {MARKER_TABLE} table): it may hold "
            "real data, so bench_live refuses to drop it. Pass another --database."
        )
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {MARKER_TABLE} (created_at timestamptz DEFAULT now())")


def bench_database_drop(name: str) -> None:
    """Drop the database bench_live made (only one with its marker table)."""
    if connection.settings_dict["NAME"] != name or MARKER_TABLE not in connection.introspection.table_names():
        return
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _connect_to(name: str) -> None:
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name


def bench_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def bench_scenario_build(*, agents: int, widgets: int, queues: int, secret_key: str, seed: int) -> dict:
    """Agents (each in one queue, logged in, with a session signed with ``secret_key``: the server's), and
    ``widgets`` open website chats assigned round-robin, each with a visitor token. Returns the spec:
    ``{"agents": [[user id, session key, chat to watch]], "widgets": [[chat id, token, agent id]]}``."""
    rng = random.Random(seed)
    now = timezone.now()
    queue_rows = Queue.objects.bulk_create([Queue(name=f"Bench queue {i}") for i in range(queues)])
    # One unusable password (no hashing): nobody logs in with these; the sessions below are their log-in.
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"{USERNAME_PREFIX}{i}", first_name=f"Agent {i}", password=password) for i in range(agents)],
        batch_size=2000,
    )
    queue_of = {user.pk: queue_rows[i % queues] for i, user in enumerate(users)}
    QueueMembership.objects.bulk_create(
        [QueueMembership(agent=user, queue=queue_of[user.pk]) for user in users], batch_size=5000
    )
    tokens = [secrets.token_urlsafe(32) for _ in range(widgets)]
    chats = Chat.objects.bulk_create(
        [
            Chat(
                channel=Chat.Channel.WEBSITE,
                status=Chat.Status.ASSIGNED,
                agent=users[j % agents],
                queue=queue_of[users[j % agents].pk],
                visitor_name=f"Visitor {j}",
                visitor_key=f"{USERNAME_PREFIX}{j}",
                visitor_token_hash=visitor_token_hash(tokens[j]),
                created_at=now,
                queued_at=now,
                assigned_at=now,
                last_heartbeat_at=now,
            )
            for j in range(widgets)
        ],
        batch_size=5000,
    )
    chats_of: dict[int, list[int]] = {user.pk: [] for user in users}
    for chat in chats:
        chats_of[chat.agent_id].append(chat.pk)
    Presence.objects.bulk_create(
        [Presence(agent=user, logged_in=True, open_chats=len(chats_of[user.pk]), live_seen_at=now) for user in users],
        batch_size=5000,
    )
    sessions = _sessions_create(users, secret_key=secret_key, expire=now + timedelta(days=1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "agents": [
            [user.pk, sessions[user.pk], rng.choice(chats_of[user.pk]) if chats_of[user.pk] else None] for user in users
        ],
        "widgets": [[chat.pk, tokens[j], chat.agent_id] for j, chat in enumerate(chats)],
    }


def _sessions_create(users: list[User], *, secret_key: str, expire) -> dict[int, str]:
    """A logged-in session per agent, as Django's login() would leave it, signed with the server's secret key
    (the session data and the password hash in it are both signed with it); bulk-inserted."""
    previous = settings.SECRET_KEY
    settings.SECRET_KEY = secret_key
    try:
        model = SessionStore.get_model_class()
        rows, keys = [], {}
        for user in users:
            store = SessionStore()
            key = get_random_string(32, VALID_KEY_CHARS)  # as SessionStore makes them, without a query each
            data = {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: SESSION_BACKEND,
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
            rows.append(model(session_key=key, session_data=store.encode(data), expire_date=expire))
            keys[user.pk] = key
        model.objects.bulk_create(rows, batch_size=2000)
    finally:
        settings.SECRET_KEY = previous
    return keys
