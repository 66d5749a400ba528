from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


def test_an_integration_over_its_rate_gets_429(agent_api, monkeypatch):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    statuses = [agent_api.get("/api/v1/settings/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = agent_api.get("/api/v1/settings/")
    assert "detail" in response.json()
    assert int(response["Retry-After"]) > 0
