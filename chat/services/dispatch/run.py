"""What one dispatch run works with: the card and both strategy orders, read once per run."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import connection
from django.db.models import Value

from chat.models import AgentStrategyStep, ChatSettings, ChatStrategyStep
from chat.models.strategies import AgentStrategyCode

from .prepared import Prepared
from .statements import assign_statement, settings_statement


def strategy_orders() -> tuple[list[str], list[str]]:
    """Both configured orders in one query: (agent chain codes, chat order codes)."""
    rows = AgentStrategyStep.objects.order_by().values_list(Value("agent"), "code", "order").union(
        ChatStrategyStep.objects.order_by().values_list(Value("chat"), "code", "order"), all=True
    )
    ordered = sorted(rows, key=lambda row: (row[0], row[2]))
    agent = [code for kind, code, _o in ordered if kind == "agent"]
    return agent, [code for kind, code, _o in ordered if kind == "chat"]


def load_settings() -> tuple[ChatSettings, list[str], list[str]] | None:
    """The card and both strategy orders in one prepared statement (PostgreSQL): (card, agent codes, chat
    codes), or None when the card row does not exist yet (``ChatSettings.load()`` creates it)."""
    fields = ChatSettings._meta.concrete_fields
    with connection.cursor() as cursor:
        settings_statement().execute(cursor, {"pk": ChatSettings.SINGLETON_PK}, prepared=True)
        row = cursor.fetchone()
    if row is None:
        return None
    card = ChatSettings.from_db(connection.alias, [field.attname for field in fields], row[: len(fields)])
    return card, list(row[-2]), list(row[-1])


class Run:
    """The settings one dispatch run works with (read once per run, in one statement on PostgreSQL)."""

    def __init__(self, card: ChatSettings, agent_codes: list[str], chat_codes: list[str]):
        self.card = card
        self.agent_codes, self.chat_codes = agent_codes, chat_codes
        self.max_chats = card.max_concurrent_chats
        self.allow_phone_call = card.assign_during_phone_call
        self.needs_last_agent = AgentStrategyCode.LAST_AGENT in self.agent_codes
        self.welcome_on_assign = card.welcome_message_when == ChatSettings.WelcomeWhen.AGENT_ASSIGNED
        self.async_commit = getattr(settings, "PARLEY_DISPATCH_ASYNC_COMMIT", True)
        # PostgreSQL assigns in one statement (``statements.ASSIGN_ONE``); SQLite (the embedded demo) only has
        # the waiting path.
        self.one_statement = connection.vendor == "postgresql"
        self.prepared = self.one_statement and getattr(settings, "PARLEY_DISPATCH_PREPARED", True)

    @classmethod
    def load(cls) -> Run:
        if connection.vendor == "postgresql" and getattr(settings, "PARLEY_DISPATCH_PREPARED", True):
            found = load_settings()
            if found is not None:
                return cls(*found)
        return cls(ChatSettings.load(), *strategy_orders())

    @cached_property
    def assign_statement(self) -> Prepared:
        return assign_statement(
            tuple(self.agent_codes), allow_phone_call=self.allow_phone_call, needs_last_agent=self.needs_last_agent,
            async_commit=self.async_commit,
        )
