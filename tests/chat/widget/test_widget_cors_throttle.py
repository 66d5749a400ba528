import pytest
from rest_framework.test import APIClient


def test_an_allowed_origin_gets_cors_headers(client, settings, db):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    response = client.options(
        "/widget/v1/chats/",
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-visitor-token",
    )
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "x-visitor-token" in response["Access-Control-Allow-Headers"]


def test_another_origin_gets_no_cors_headers(client, settings, db):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    response = client.options(
        "/widget/v1/chats/",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in response


def test_the_rest_api_is_not_opened_to_widget_origins(client, settings, db):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    response = client.options(
        "/api/v1/settings/", HTTP_ORIGIN="https://shop.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "Access-Control-Allow-Origin" not in response


def start(client, queue, key):
    return client.post("/widget/v1/chats/", {"queue": queue.pk, "visitor_key": key}, format="json")


def test_one_visitor_over_his_rate_gets_429_while_another_is_served(throttle_rates, queue):
    throttle_rates(widget_visitor="3/min")
    visitor = APIClient()
    data = start(visitor, queue, "visitor-one-0123456789").json()
    visitor.credentials(HTTP_X_VISITOR_TOKEN=data["token"])
    polls = [visitor.get(f"/widget/v1/chats/{data['chat']['id']}/messages/").status_code for _ in range(4)]
    assert polls == [200, 200, 200, 429]
    assert start(APIClient(), queue, "visitor-two-0123456789").status_code == 201


def test_one_address_over_its_rate_gets_429_whatever_the_visitor(throttle_rates, queue):
    throttle_rates(widget_ip="2/min")
    statuses = [start(APIClient(), queue, f"visitor-key-number-{n:04d}").status_code for n in range(3)]
    assert statuses == [201, 201, 429]


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_starts_from_one_visitor_open_one_chat(queue):
    import threading

    from django.db import connection

    from chat.models import Chat

    barrier = threading.Barrier(2)
    results: list = []

    def worker():
        try:
            barrier.wait(timeout=10)
            response = start(APIClient(), queue, "same-browser-key-0123456")
            results.append((response.status_code, response.json()["chat"]["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [code for code, _id in results] == [201, 201]
    assert len({chat_id for _code, chat_id in results}) == 1
    assert Chat.objects.filter(visitor_key="same-browser-key-0123456").count() == 1


def test_an_allowed_origin_may_read_the_download_file_name(client, settings, db):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    response = client.get("/widget/v1/chats/1/messages/", HTTP_ORIGIN="https://shop.example.com")
    assert response.status_code == 401
    assert "Content-Disposition" in response["Access-Control-Expose-Headers"]
