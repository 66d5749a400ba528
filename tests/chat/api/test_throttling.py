def test_an_integration_over_its_rate_gets_429(agent_api, throttle_rates):
    throttle_rates(user="3/min")
    statuses = [agent_api.get("/api/v1/settings/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = agent_api.get("/api/v1/settings/")
    assert "detail" in response.json()
    assert int(response["Retry-After"]) > 0
