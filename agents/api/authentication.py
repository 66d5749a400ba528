"""API tokens in the ``Authorization: Token <key>`` header: django-rest-knox's authentication (the key is compared
with the stored SHA-512 digest; an expired token is deleted and refused; an inactive user is refused), which also
notes the token's last use (at most once a minute: ``agents.services.api_token_used``)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication

from agents.services import api_token_used


class ApiTokenAuthentication(TokenAuthentication):
    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        api_token_used(token=token)
        return user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The scheme keeps the name and shape it had with DRF's tokens, so generated clients keep working."""

    target_class = "agents.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An API token issued by staff (POST /api/v1/tokens/), with the prefix "Token": '
            "`Authorization: Token <key>`.",
        }
