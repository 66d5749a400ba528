"""Issue 11, point 5: the widget's per-address limit counts the real client, whatever it writes into
X-Forwarded-For, and behind configured proxies counts the address the nearest proxy saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import RequestFactory
from rest_framework.test import APIClient

from chat.models import Chat
from core.client_ip import client_ip


def start(queue, n: int, **headers):
    return APIClient().post(
        "/widget/v1/chats/", {"queue": queue.pk, "visitor_key": f"visitor-key-number-{n:06d}"}, format="json",
        **headers,
    )


def test_200_forged_forwarded_addresses_from_one_client_get_429_after_the_limit(throttle_rates, queue):
    throttle_rates(widget_ip="5/min")
    statuses = [
        start(queue, n, REMOTE_ADDR="198.51.100.20",
              HTTP_X_FORWARDED_FOR=f"203.0.113.{n % 250}, 192.0.2.{(n * 7) % 250}").status_code
        for n in range(200)
    ]
    assert statuses[:5] == [201] * 5
    assert statuses[5:] == [429] * 195
    assert Chat.objects.count() == 5


def test_behind_one_trusted_proxy_the_last_forwarded_entry_is_the_client(throttle_rates, settings, queue):
    settings.PARLEY_TRUSTED_PROXIES = 1
    throttle_rates(widget_ip="3/min")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # One client, who writes a different address before the proxy's entry every time.
    first = [
        start(queue, n, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7", **proxy).status_code for n in range(6)
    ]
    assert first == [201, 201, 201, 429, 429, 429]
    # Another client behind the same proxy has his own count.
    assert start(queue, 100, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 201


def test_retry_after_says_when_the_next_request_is_let_in(throttle_rates, queue):
    throttle_rates(widget_ip="3/min")
    t0 = datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        assert [start(queue, n).status_code for n in range(3)] == [201, 201, 201]
        refused = start(queue, 3)
        assert refused.status_code == 429
        retry_after = int(refused["Retry-After"])
        assert 0 < retry_after <= 120
    with time_machine.travel(t0 + timedelta(seconds=retry_after - 2), tick=False):
        assert start(queue, 4).status_code == 429
    with time_machine.travel(t0 + timedelta(seconds=retry_after), tick=False):
        assert start(queue, 5).status_code == 201


def test_an_hourly_limit_remembers_a_client_that_paused_for_minutes(throttle_rates, queue):
    # The database cache (the tests' cache) would give a counter its default lifetime, 300 s.
    throttle_rates(widget_ip="3/hour")
    t0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        assert [start(queue, n).status_code for n in range(3)] == [201, 201, 201]
    with time_machine.travel(t0 + timedelta(minutes=6), tick=False):
        assert start(queue, 3).status_code == 429
    with time_machine.travel(t0 + timedelta(minutes=50), tick=False):
        assert start(queue, 4).status_code == 429
    with time_machine.travel(t0 + timedelta(hours=1, minutes=25), tick=False):
        assert start(queue, 5).status_code == 201  # the last hour's three weigh 1.75 by now


def address(settings, proxies: int, forwarded: str | None, remote: str = "10.0.0.2") -> str:
    settings.PARLEY_TRUSTED_PROXIES = proxies
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **headers))


def test_the_client_address_rule(settings):
    assert address(settings, 0, "203.0.113.9") == "10.0.0.2"
    assert address(settings, 1, "203.0.113.9, 198.51.100.7") == "198.51.100.7"
    assert address(settings, 2, "203.0.113.9, 198.51.100.7, 10.0.0.1") == "198.51.100.7"
    assert address(settings, 1, None) == "10.0.0.2"
    assert address(settings, 1, "2001:db8::1") == "2001:db8::1"
    assert address(settings, 1, "unknown") == "10.0.0.2"  # not an address: the proxy is counted
