"""OpenAPI examples of refusals that several of chat's API operations answer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

ERROR_EXAMPLE = OpenApiExample(
    "Refused",
    value={"agent": ["Anna already has the maximum of 3 open chats."], "code": "agent_full"},
    response_only=True,
    status_codes=["400"],
)
CLOSED_EXAMPLE = OpenApiExample(
    "Closed chat",
    value={"chat": ["This chat is closed."], "code": "closed"},
    response_only=True,
    status_codes=["409"],
)
FORBIDDEN_EXAMPLE = OpenApiExample(
    "Not yours",
    value={"chat": ["Only the agent handling this chat, or staff, can transfer it."], "code": "forbidden"},
    response_only=True,
    status_codes=["403"],
)
TAKEN_EXAMPLE = OpenApiExample(
    "Taken by another agent",
    value={"chat": ["This chat has already been taken by Bartek."], "code": "taken"},
    response_only=True,
    status_codes=["409"],
)
