from .canned import CANNED_BODY_MAX, CannedResponse
from .chats import Attachment, Chat, Disposition, Message
from .emails import OfflineEmail
from .events import ChatEvent, NoReplyExclusion
from .queues import HoursException, OpeningHours, Queue, QueueMembership
from .settings import DEFAULT_WELCOME_TEXT, AgentStrategyStep, ChatSettings, ChatStrategyStep
from .strategies import (
    AGENT_STRATEGY_CHOICES,
    CHAT_STRATEGY_CHOICES,
    DEFAULT_AGENT_STRATEGY_ORDER,
    DEFAULT_CHAT_STRATEGY_ORDER,
    AgentStrategyCode,
    ChatOrderCode,
)

__all__ = [
    "AGENT_STRATEGY_CHOICES",
    "CHAT_STRATEGY_CHOICES",
    "DEFAULT_AGENT_STRATEGY_ORDER",
    "DEFAULT_CHAT_STRATEGY_ORDER",
    "DEFAULT_WELCOME_TEXT",
    "CANNED_BODY_MAX",
    "AgentStrategyCode",
    "AgentStrategyStep",
    "Attachment",
    "CannedResponse",
    "Chat",
    "ChatEvent",
    "ChatOrderCode",
    "ChatSettings",
    "ChatStrategyStep",
    "Disposition",
    "Message",
    "NoReplyExclusion",
    "OfflineEmail",
    "HoursException",
    "OpeningHours",
    "Queue",
    "QueueMembership",
]
