"""Property-based run of the project's own OpenAPI schema (schemathesis 4) against the
project's WSGI application with a staff token: examples, coverage (boundary) and
fuzzing cases, positive and negative, for every operation of /api/v1/ and
/widget/v1/; no 5xx and every answer matches its documented schema.

The WSGI transport runs in the test's thread and its transaction, so the run
costs no connection per request (a live server opens one for every request and
takes several times longer for the same cases)."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests import factories

MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
STATS: dict = {"cases": collections.Counter(), "statuses": collections.Counter(), "operations": set()}


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the database connection at the end of each request;
    in the test's thread that would close the test's transaction. Django's test
    client does the same as this."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(db, keep_connection):
    staff = factories.AdminFactory(username="schemathesis")
    factories.PresenceFactory(agent=staff, logged_in=True)
    queue = factories.QueueFactory(name="Sales")
    factories.MembershipFactory(agent=staff, queue=queue)
    return Token.objects.create(user=staff).key


def load_schema():
    """The schema exactly as /api/schema/ serves it (generated in-process at collection)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))


schema = load_schema()


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_generated_case_without_5xx_and_as_its_schema_says(case, staff_token):
    from config.wsgi import application

    response = case.call(app=application, headers={"Authorization": f"Token {staff_token}"})
    STATS["cases"][case.operation.label] += 1
    STATS["statuses"][response.status_code] += 1
    STATS["operations"].add(case.operation.label)
    STATS["all_operations"] = sum(1 for _ in schema.get_all_operations())
    case.validate_response(response, checks=CHECKS, headers={"Authorization": f"Token {staff_token}"})


def test_report_schemathesis_figures():
    """Runs after the property test (file order) and writes its figures to var/schemathesis-summary.json."""
    summary = {
        "operations_in_schema": STATS.get("all_operations", 0),
        "operations": len(STATS["operations"]),
        "cases": sum(STATS["cases"].values()),
        "statuses": dict(sorted(STATS["statuses"].items())),
        "per_operation": dict(sorted(STATS["cases"].items())),
    }
    path = Path(django_settings.BASE_DIR) / "var" / "schemathesis-summary.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"schemathesis: {summary['operations']} operations, {summary['cases']} cases, statuses {summary['statuses']}")
    assert all(status < 500 for status in STATS["statuses"])
