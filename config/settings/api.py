"""Settings of the ways in that strangers reach: the abuse limits (login lockouts, throttles) and the REST
API with its OpenAPI schema. Part of ``config.settings.base``, which imports everything from here."""

from __future__ import annotations

import os
from datetime import timedelta

from .env import env_bool

# --- Abuse limits (docs/operations.md, "Abuse limits") ----------------------
# How many reverse proxies stand in front of the web processes; 0 = the TCP peer is the client and
# X-Forwarded-For is ignored. One function reads it for the throttles and the login lockouts.
PARLEY_TRUSTED_PROXIES = int(os.environ.get("PARLEY_TRUSTED_PROXIES", "0"))
# Logins (inbox and admin) by django-axes: after PARLEY_LOGIN_FAILURE_LIMIT failures for one user
# name, or from one address, further logins of that user or from that address are refused for
# PARLEY_LOGIN_COOLOFF_MINUTES after the last failure. `manage.py axes_reset` lifts every lockout.
AXES_FAILURE_LIMIT = int(os.environ.get("PARLEY_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PARLEY_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "agents.login.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept (AccessAttempt); successful logins are not logged

# --- REST framework -------------------------------------------------------
# Throttle scope -> (environment variable, default rate).
THROTTLE_RATE_VARIABLES = {
    "anon": ("API_THROTTLE_ANON", "120/min"),
    "user": ("API_THROTTLE_USER", "6000/min"),
    "widget_visitor": ("WIDGET_THROTTLE_VISITOR", "120/min"),
    "widget_ip": ("WIDGET_THROTTLE_IP", "600/min"),
    "messenger": ("MESSENGER_THROTTLE", "6000/min"),
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agents.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.rest.schema.ParleyAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.rest.pagination.ParleyPagination",
    "PAGE_SIZE": int(os.environ.get("API_PAGE_SIZE", "50")),
    "EXCEPTION_HANDLER": "core.rest.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.bodies.ParleyJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.rest.throttles.AnonThrottle",
        "core.rest.throttles.UserThrottle",
    ],
    # DRF's own client address rule agrees with core.client_ip (which the throttles use).
    "NUM_PROXIES": PARLEY_TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        scope: os.environ.get(variable, default) for scope, (variable, default) in THROTTLE_RATE_VARIABLES.items()
    },
}
# API tokens (django-rest-knox): the model with a description and the last use (agents.models.ApiToken), no
# expiry unless the issuer sets one, and the header integrations already send: ``Authorization: Token <key>``.
KNOX_TOKEN_MODEL = "agents.ApiToken"
REST_KNOX = {"TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Token", "AUTO_REFRESH": False}
# Knox's own migrations would create its unused table knox_authtoken even with the model swapped (and the test
# database's flush then fails on its foreign key): they are switched off; agents' migrations hold ApiToken.
MIGRATION_MODULES = {"knox": None}
# The largest page any list of the API serves (a larger ?limit= is lowered to it; chat/api/pagination.py).
API_MAX_PAGE_SIZE = int(os.environ.get("API_MAX_PAGE_SIZE", "200"))
# The OpenAPI schema (/api/schema/) and Swagger UI (/api/docs/) without logging in. Off except in the
# local settings: the schema lists every operation and field, which a stranger need not read.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)

SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "Chats, routing settings, presence and CRM customers of the Parley contact-centre chat.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.rest.schema.add_error_responses",
    ],
    "SCHEMA_PATH_PREFIX": r"/(api/v1|widget/v1)",
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "chat.models.Chat.Channel",
        "ChatStatusEnum": "chat.models.Chat.Status",
        "CloseReasonEnum": "chat.models.Chat.CloseReason",
        "VerificationEnum": "chat.models.Chat.Verification",
        "SenderEnum": "chat.models.Message.Sender",
        "DeliveryStatusEnum": "chat.models.Message.Delivery",
    },
    "TAGS": [
        {"name": "settings", "description": "The parameter card and both strategy orders."},
        {"name": "pause-types", "description": "Pause types; the five built-ins cannot be deleted."},
        {"name": "queues", "description": "Queues with their members and priorities."},
        {"name": "agents", "description": "Agents and their presence (what a PBX calls)."},
        {"name": "tokens", "description": "API tokens: staff issue (the key is shown once) and revoke them."},
        {"name": "customers", "description": "CRM customers."},
        {"name": "chats", "description": "Chats, their messages and actions."},
        {"name": "attachments", "description": "Files attached to chat messages."},
        {"name": "supervisor", "description": "A supervisor's actions (staff only): assign or reassign any chat, "
                                              "watch it silently, whisper to its agent, take it over; pause or log "
                                              "out an agent. Each is recorded with the supervisor as actor."},
        {"name": "privacy", "description": "Privacy requests (GDPR articles 15 and 17, staff only): export "
                                           "everything stored about a person, or erase it; the audit records."},
        {"name": "widget", "description": "Public visitor API of the website widget (X-Visitor-Token)."},
    ],
}
