"""The migration to knox keeps DRF's existing keys working and drops the plain-text table."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from agents.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_drf_key_is_carried_over_as_a_digest_and_keeps_working():
    migration = importlib.import_module("agents.migrations.0006_apikeys_api_tokens")
    pbx = factories.UserFactory(username="pbx")
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # DRF's shape: 40 hexadecimal characters
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, "
                       "created timestamp with time zone)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, now())", [old_key, pbx.pk])
    with connection.schema_editor() as schema_editor:
        migration.carry_over_drf_tokens(apps, schema_editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=pbx)
    assert old_key not in (token.digest, token.token_key) and token.description
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old_key}")
    assert client.get("/api/v1/queues/").status_code == 200
