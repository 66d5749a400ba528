from django.utils import translation


def test_an_integration_over_its_rate_gets_429(agent_api, throttle_rates):
    throttle_rates(user="3/min")
    statuses = [agent_api.get("/api/v1/settings/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = agent_api.get("/api/v1/settings/")
    assert "detail" in response.json()
    assert int(response["Retry-After"]) > 0


def test_a_throttled_request_is_told_when_to_retry_in_the_api_error_shape(agent_api, throttle_rates):
    throttle_rates(user="1/min")
    agent_api.get("/api/v1/settings/")
    with translation.override("en"):
        response = agent_api.get("/api/v1/settings/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert response.json() == {
        "detail": [f"Too many requests. Try again in {seconds} second{'s' if seconds != 1 else ''}."],
        "code": "throttled",
    }
