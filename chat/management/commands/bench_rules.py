"""Benchmark of the timed rules on PostgreSQL (issue 5, point 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley .venv/bin/python manage.py bench_rules

Builds, in its own database (``--database-name``, default ``parley_bench_rules``, dropped and
recreated; the database of DATABASE_URL is only used to create it), 100,000 open chats of which
10,000 are due for each chat rule (close inactive, transfer unanswered, stop auto-assign),
plus 20,000 closed chats (10,000 due for purge) and 20,000 attachments (10,000 due for expiry),
then runs each rule once and prints how long it took, then runs every rule again with nothing due
(the idle sweep) and prints its time and the EXPLAIN ANALYZE of its query.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from agents.models import PauseType, Presence, User
from chat.management.benchdb import use_own_database
from chat.models import Attachment, Chat, ChatEvent, ChatSettings, Message, Queue, QueueMembership
from chat.services.dispatch import dispatch
from chat.services.live.publisher import publisher
from chat.services.rules import RULES, halting_due, inactive_due, unanswered_due

SEQ_SCAN_MARK = "Seq Scan on chat_chat"


class Command(BaseCommand):
    help = "Time the timed rules on 100,000 open chats with 10,000 due (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--database-name", default="parley_bench_rules")
        parser.add_argument("--open-chats", type=int, default=100_000)
        parser.add_argument("--due", type=int, default=10_000)
        parser.add_argument("--agents", type=int, default=1000)
        parser.add_argument("--queues", type=int, default=20)
        parser.add_argument("--idle-runs", type=int, default=100)

    # --- set-up -----------------------------------------------------------------

    def _use_own_database(self, name: str) -> None:
        use_own_database(name, command="bench_rules", stdout=self.stdout)
        call_command("createcachetable", verbosity=0)  # the live layer's version counters (without CACHE_URL)

    def _build(self, *, open_chats: int, due: int, agents: int, queues: int) -> dict:
        now = timezone.now()
        started = time.perf_counter()
        assigned_total = open_chats * 2 // 5  # 40 %
        per_agent = -(-assigned_total // agents)
        card = ChatSettings.load()
        card.max_concurrent_chats = per_agent
        card.inactivity_counted_from = ChatSettings.InactivityFrom.PAGE_CLOSED
        card.no_reply_transfer_after = 60
        card.no_reply_pause_type = PauseType.objects.get(code="break")
        card.stop_auto_assign_after_hours = 24
        card.delete_chats_after_days = 30
        card.save()

        qs = Queue.objects.bulk_create([Queue(name=f"Bench queue {i}") for i in range(queues)])
        users = User.objects.bulk_create([User(username=f"bench{i}", first_name=f"Bench {i}") for i in range(agents)])
        Presence.objects.bulk_create(
            [Presence(agent=u, logged_in=True, open_chats=0, last_assigned_at=now) for u in users]
        )
        QueueMembership.objects.bulk_create(
            [QueueMembership(agent=u, queue=qs[i % queues], priority=i % 7) for i, u in enumerate(users)]
        )

        fresh = now - timedelta(seconds=30)
        long_ago = now - timedelta(hours=2)
        chats: list[Chat] = []
        slots: dict[int, int] = {}
        # Assigned chats: the first `due` are inactive (page closed 2 h ago), the next `due` unanswered
        # (client waiting 10 min, agent never answered); the rest busy and fresh.
        for i in range(assigned_total):
            agent = users[i % agents]
            kind = "close" if i < due else "transfer" if i < 2 * due else "ok"
            channel = Chat.Channel.WEBSITE
            if kind == "ok" and i % 20 == 19:
                channel = Chat.Channel.INTERNAL  # a colleague's chat: no queue, no slot
            elif kind == "ok" and i % 10 == 9:
                channel = Chat.Channel.MESSENGER
            if channel != Chat.Channel.INTERNAL:
                slots[agent.pk] = slots.get(agent.pk, 0) + 1
            chats.append(
                Chat(
                    channel=channel,
                    status=Chat.Status.ASSIGNED,
                    agent=agent,
                    initiator=users[(i + 1) % agents] if channel == Chat.Channel.INTERNAL else None,
                    queue=qs[i % queues] if channel != Chat.Channel.INTERNAL else None,
                    # A chat's page closes after it started (the inactivity rule also waits its whole time from
                    # the queue time: a chat queued at its queue's opening, docs/timed-rules.md "Business hours").
                    created_at=long_ago - timedelta(minutes=30) if kind == "close" else now - timedelta(minutes=30),
                    queued_at=long_ago - timedelta(minutes=30) if kind == "close" else now - timedelta(minutes=30),
                    assigned_at=now - timedelta(minutes=20),
                    page_closed_at=long_ago if kind == "close" else None,
                    last_heartbeat_at=fresh if channel == Chat.Channel.WEBSITE else None,
                    last_client_message_at=now - timedelta(minutes=10),
                    last_message_at=now - timedelta(minutes=10),
                    awaiting_reply_since=now - timedelta(minutes=10) if kind == "transfer" else None,
                    agent_replied_at=None if kind == "transfer" else now - timedelta(minutes=5),
                    visitor_messenger_id=f"bench-m-{i}" if channel == Chat.Channel.MESSENGER else "",
                )
            )
        # Waiting chats: the first `due` have waited 30 h (stop auto-assign), the rest 1 h.
        for i in range(open_chats - assigned_total):
            waited = timedelta(hours=30) if i < due else timedelta(hours=1)
            chats.append(
                Chat(
                    channel=Chat.Channel.WEBSITE,
                    status=Chat.Status.WAITING,
                    queue=qs[i % queues],
                    created_at=now - waited,
                    queued_at=now - waited,
                    last_heartbeat_at=fresh,
                    last_client_message_at=now - waited,
                    last_message_at=now - waited,
                )
            )
        # Closed chats: `due` closed 40 days ago (purge), `due` closed yesterday.
        for i in range(2 * due):
            closed_at = now - (timedelta(days=40) if i < due else timedelta(days=1))
            chats.append(
                Chat(
                    channel=Chat.Channel.WEBSITE,
                    status=Chat.Status.CLOSED,
                    queue=qs[i % queues],
                    agent=users[i % agents],
                    created_at=closed_at - timedelta(hours=1),
                    queued_at=closed_at - timedelta(hours=1),
                    closed_at=closed_at,
                    close_reason=Chat.CloseReason.AGENT,
                )
            )
        Chat.objects.bulk_create(chats, batch_size=5000)
        Presence.objects.bulk_create(
            [Presence(agent_id=a, open_chats=n, logged_in=True, last_assigned_at=now) for a, n in slots.items()],
            update_conflicts=True,
            unique_fields=["agent"],
            update_fields=["open_chats"],
        )
        closed = [c for c in chats if c.status == Chat.Status.CLOSED]
        messages = []
        events = []
        for c in closed:
            messages += [
                Message(chat_id=c.pk, sender=Message.Sender.CLIENT, body="hello", created_at=c.created_at),
                Message(
                    chat_id=c.pk, sender=Message.Sender.AGENT, author_id=c.agent_id, body="hi", created_at=c.created_at
                ),
            ]
            events += [
                ChatEvent(chat_id=c.pk, kind=ChatEvent.Kind.ASSIGNED, agent_id=c.agent_id, created_at=c.created_at),
                ChatEvent(chat_id=c.pk, kind=ChatEvent.Kind.CLOSED, reason="agent", created_at=c.closed_at),
            ]
        # Attachments on open chats' messages: `due` expired an hour ago, `due` valid for a day.
        waiting = [c for c in chats if c.status == Chat.Status.WAITING][: 2 * due]
        file_messages = Message.objects.bulk_create(
            [Message(chat_id=c.pk, sender=Message.Sender.CLIENT, body="file") for c in waiting], batch_size=5000
        )
        Message.objects.bulk_create(messages, batch_size=5000)
        ChatEvent.objects.bulk_create(events, batch_size=5000)

        attachments = []
        for i, m in enumerate(file_messages):
            name = f"attachments/bench/{i}.txt"
            # The due ones get a real file in storage so that expiry removes real files.
            if i < due:
                path = Path(default_storage.path(name))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"x")
            attachments.append(
                Attachment(
                    message=m,
                    token=f"bench-{i}",
                    file=name,
                    original_name=f"{i}.txt",
                    size=1,
                    created_at=now - timedelta(days=1),
                    expires_at=now - timedelta(hours=1) if i < due else now + timedelta(days=1),
                )
            )
        Attachment.objects.bulk_create(attachments, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        counts = {
            "open chats": Chat.objects.open().count(),
            "assigned": Chat.objects.assigned().count(),
            "waiting": Chat.objects.waiting().count(),
            "closed": Chat.objects.closed().count(),
            "attachments": Attachment.objects.count(),
            "agents": agents,
        }
        self.stdout.write(
            f"built in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            + f"; max chats per agent {per_agent}"
        )
        return counts

    # --- measuring ------------------------------------------------------------------

    def _explain(self, label: str, query) -> bool:
        """EXPLAIN ANALYZE of a queryset, or of a rule's ``Due`` condition (the SELECT its sweep runs)."""
        if hasattr(query, "explain"):
            plan = query.explain(analyze=True)
        else:
            sql, params = query.select("id")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
        seq = SEQ_SCAN_MARK in plan
        self.stdout.write(f"  EXPLAIN ANALYZE ({label}){' — SEQ SCAN OF THE CHAT TABLE' if seq else ''}:")
        for line in plan.splitlines():
            self.stdout.write(f"    {line}")
        return not seq

    def handle(self, *args, database_name, open_chats, due, agents, queues, idle_runs, **options):
        # The timed rules and dispatch run here as in a Celery worker: their live events leave in the background,
        # as there (chat/services/live/publisher.py). Give CACHE_URL and CHANNEL_LAYER_URL (Redis) to measure the
        # production shape; without them the version counters are rows of the database cache.
        publisher.enable()
        self.stdout.write(
            f"live events: {settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}, version counters: "
            f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
        )
        if connection.vendor != "postgresql":
            raise CommandError("bench_rules runs on PostgreSQL only: set DATABASE_URL=postgres://…")
        self._use_own_database(database_name)
        with tempfile.TemporaryDirectory(prefix="bench-rules-media-") as media, override_settings(MEDIA_ROOT=media):
            self._run(open_chats=open_chats, due=due, agents=agents, queues=queues, idle_runs=idle_runs)

    def _run(self, *, open_chats, due, agents, queues, idle_runs):

        self._build(open_chats=open_chats, due=due, agents=agents, queues=queues)
        files_before = sum(1 for p in Path(default_storage.location).rglob("*") if p.is_file())

        # Order: stop auto-assign and the no-reply transfer first; the transfer pauses every agent who never
        # answered (parameter 4), so the dispatch each rule runs afterwards has nobody to assign to and the
        # figures are those of the rules themselves (dispatch has its own benchmark, bench_routing).
        order = ["stop_auto_assign", "transfer_unanswered", "close_inactive", "purge_closed", "expire_attachments"]
        self.stdout.write(f"\nacting on {due:,} due items per rule:")
        acted = {}
        for name in order:
            service, meaning = RULES[name]
            started = time.perf_counter()
            count = service()
            elapsed = time.perf_counter() - started
            acted[name] = (count, elapsed)
            self.stdout.write(f"  {name:<22} {count:>7,} {meaning:<34} {elapsed:8.2f} s")
        files_after = sum(1 for p in Path(default_storage.location).rglob("*") if p.is_file())
        self.stdout.write(
            f"  files in storage: {files_before:,} before, {files_after:,} after expiry; "
            f"attachments expired: {Attachment.objects.filter(expired_at__isnull=False).count():,}; "
            f"agents paused for no reply: {Presence.objects.filter(pause_type__isnull=False).count():,}"
        )
        started = time.perf_counter()
        assigned = dispatch()
        self.stdout.write(f"  dispatch after the rules: {assigned} assigned in {time.perf_counter() - started:.3f} s")
        # What autovacuum does in production after such a burst; without it the partial indexes still hold
        # the dead versions of the 30,000 rows just changed and the first idle sweeps wade through them.
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE chat_chat")
            cursor.execute("VACUUM ANALYZE chat_attachment")
        self.stdout.write(f"  VACUUM ANALYZE chat_chat, chat_attachment: {time.perf_counter() - started:.2f} s")

        load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
        self.stdout.write(
            f"\nidle sweep, nothing due ({idle_runs} runs each, ChatSettings.load() included; "
            f"machine load average {load}):"
        )
        for name in order:
            service, _meaning = RULES[name]
            times = []
            cpu_started = time.process_time()
            for _ in range(idle_runs):
                started = time.perf_counter()
                count = service()
                times.append((time.perf_counter() - started) * 1000)
                assert count == 0, f"{name} found something due in the idle sweep"
            cpu = (time.process_time() - cpu_started) * 1000 / idle_runs
            times.sort()
            self.stdout.write(
                f"  {name:<22} median {statistics.median(times):6.2f} ms, p90 {times[int(len(times) * 0.9)]:6.2f} ms, "
                f"min {times[0]:5.2f} ms; this process's CPU {cpu:.2f} ms per sweep"
            )

        card = ChatSettings.load()
        self.stdout.write("\nquery plans of the idle sweeps:")
        now = timezone.now()
        ok = self._explain("close inactive", inactive_due(card=card, now=now))
        ok &= self._explain("transfer unanswered", unanswered_due(card=card, now=now))
        ok &= self._explain("stop auto-assign", halting_due(card=card, now=now))

        ok &= self._explain(
            "purge",
            Chat.objects.filter(
                status="closed", closed_at__lte=now - timedelta(days=card.delete_chats_after_days)
            ).order_by("closed_at")[:2000],
        )
        self._explain(
            "expire attachments",
            Attachment.objects.filter(expired_at__isnull=True, expires_at__lte=now).order_by("expires_at")[:5000],
        )
        close_count, close_time = acted["close_inactive"]
        self.stdout.write(
            f"\ngoal: {due:,} due chats closed in < 10 s: {close_count:,} in {close_time:.2f} s -> "
            f"{'met' if close_count == due and close_time < 10 else 'NOT MET'}; "
            f"no seq scan of the chat table in the idle sweeps: {'met' if ok else 'NOT MET'}"
        )
