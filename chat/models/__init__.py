from .chats import Attachment, Chat, ChatEvent, Message, NoReplyExclusion
from .queues import Queue, QueueMembership
from .settings import (
    AGENT_STRATEGY_CHOICES,
    CHAT_STRATEGY_CHOICES,
    DEFAULT_AGENT_STRATEGY_ORDER,
    DEFAULT_CHAT_STRATEGY_ORDER,
    DEFAULT_WELCOME_TEXT,
    AgentStrategyStep,
    ChatSettings,
    ChatStrategyStep,
)

__all__ = [
    "AGENT_STRATEGY_CHOICES",
    "CHAT_STRATEGY_CHOICES",
    "DEFAULT_AGENT_STRATEGY_ORDER",
    "DEFAULT_CHAT_STRATEGY_ORDER",
    "DEFAULT_WELCOME_TEXT",
    "AgentStrategyStep",
    "Attachment",
    "Chat",
    "ChatEvent",
    "ChatSettings",
    "ChatStrategyStep",
    "Message",
    "NoReplyExclusion",
    "Queue",
    "QueueMembership",
]
