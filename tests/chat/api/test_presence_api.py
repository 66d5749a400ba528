from agents.models import PauseType, Presence, PresenceEvent


def test_presence_is_addressable_by_id(agent_api, agent):
    data = agent_api.get(f"/api/v1/agents/{agent.pk}/presence/").json()
    assert data["agent"] == agent.pk
    assert data["status"] == "available"


def test_presence_is_addressable_by_username(agent_api, agent):
    assert agent_api.get("/api/v1/agents/anna/presence/").json()["agent"] == agent.pk


def test_pbx_marks_an_agent_on_a_phone_call_by_username(staff_api, agent):
    response = staff_api.patch("/api/v1/agents/anna/presence/", {"on_phone_call": True}, format="json")
    assert response.status_code == 200
    assert response.json()["on_phone_call"] is True
    assert Presence.objects.get(agent=agent).on_phone_call is True
    assert PresenceEvent.objects.filter(agent=agent, kind="phone_call_started").exists()


def test_an_agent_pauses_himself_with_a_type_and_resumes(agent_api, agent):
    pause = PauseType.objects.get(code="break")
    paused = agent_api.patch(f"/api/v1/agents/{agent.pk}/presence/", {"pause_type": pause.pk}, format="json")
    assert paused.json()["status"] == "paused"
    resumed = agent_api.patch(f"/api/v1/agents/{agent.pk}/presence/", {"pause_type": None}, format="json")
    assert resumed.json()["status"] == "available"


def test_log_out_through_the_api(agent_api, agent):
    response = agent_api.patch(f"/api/v1/agents/{agent.pk}/presence/", {"logged_in": False}, format="json")
    assert response.json()["logged_in"] is False
    assert Presence.objects.get(agent=agent).logged_in is False


def test_unknown_pause_type_is_refused_naming_the_field(agent_api, agent):
    response = agent_api.patch(f"/api/v1/agents/{agent.pk}/presence/", {"pause_type": 999999}, format="json")
    assert response.status_code == 400
    assert "pause_type" in response.json()
    assert Presence.objects.get(agent=agent).pause_type_id is None


def test_wrong_type_for_on_phone_call_is_refused(agent_api, agent):
    response = agent_api.patch(f"/api/v1/agents/{agent.pk}/presence/", {"on_phone_call": "maybe"}, format="json")
    assert response.status_code == 400
    assert "on_phone_call" in response.json()


def test_an_agent_cannot_change_another_agents_presence(agent_api, other_agent):
    response = agent_api.patch(f"/api/v1/agents/{other_agent.pk}/presence/", {"logged_in": False}, format="json")
    assert response.status_code == 403
    assert Presence.objects.get(agent=other_agent).logged_in is True


def test_unknown_agent_is_404(staff_api):
    assert staff_api.get("/api/v1/agents/nobody/presence/").status_code == 404


def test_agents_list_carries_presence_and_queues(agent_api, agent, queue):
    rows = agent_api.get("/api/v1/agents/").json()["results"]
    anna = next(row for row in rows if row["username"] == "anna")
    assert anna["presence"]["logged_in"] is True
    assert anna["queues"] == [queue.pk]
