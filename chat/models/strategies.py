"""The strategy codes and their labels, declared once.

These are the stable codes of parameters 10 and 11 (the API, the database and the admin speak them)
and the labels people read. Everything else derives from here: the step models' choices, the card's
default orders, the services' validation, the admin's labels. The behaviour of each code lives in
``chat.routing`` (``agent_chain``, ``chat_order``), whose registries refuse, when imported, a class
with an undeclared code and a declared code without a class (docs/decisions.md, "Strategy codes").
The declaration order is the default order.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgentStrategyCode(models.TextChoices):
    """The agent chain (parameter 10): who gets a chat."""

    OWNER = "owner", _("Owner")
    QUEUE_PRIORITY = "queue_priority", _("Agent priority in queue")
    LAST_AGENT = "last_agent", _("Last talked with the client")
    FEWEST_OPEN_CHATS = "fewest_open_chats", _("Fewest open chats")
    LONGEST_UNASSIGNED = "longest_unassigned", _("Longest unassigned")


class ChatOrderCode(models.TextChoices):
    """The chat order (parameter 11): which waiting chat goes first."""

    LONGEST_WAITING = "longest_waiting", _("Longest waiting in the queue")
    VIP = "vip", _("VIP client")
    SHORTEST_WAITING = "shortest_waiting", _("Shortest waiting in the queue")


class UnknownStrategy(ValueError):
    """A strategy code that is not declared here: an order naming one is refused, never silently shortened."""

    def __init__(self, kind: str, code: str):
        self.kind, self.code = kind, code
        super().__init__(f"unknown {kind} strategy code {code!r}")


# What an assignment event's ``strategy`` says besides the agent chain's codes.
LOWEST_ID = "lowest_id"  # every strategy tied: the lowest agent id decided
ONLY_ELIGIBLE = "only_eligible"  # one agent was eligible: no strategy had to decide
MANUAL = "manual"  # assigned or transferred by hand

AGENT_STRATEGY_CHOICES = AgentStrategyCode.choices
CHAT_STRATEGY_CHOICES = ChatOrderCode.choices
DEFAULT_AGENT_STRATEGY_ORDER = list(AgentStrategyCode.values)
DEFAULT_CHAT_STRATEGY_ORDER = list(ChatOrderCode.values)
