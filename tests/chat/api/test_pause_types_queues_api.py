from agents.models import PauseType
from chat.models import Queue, QueueMembership


def test_pause_types_list_the_five_built_ins(agent_api):
    data = agent_api.get("/api/v1/pause-types/").json()
    assert {p["code"] for p in data if p["built_in"]} == {
        "wrap_up", "administrative", "break", "business_task", "callback_progress"
    }


def test_built_in_pause_type_cannot_be_deleted(staff_api):
    pause = PauseType.objects.get(code="break")
    response = staff_api.delete(f"/api/v1/pause-types/{pause.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"pause_type": ["Built-in pause types cannot be deleted."], "code": "built_in"}
    assert PauseType.objects.filter(pk=pause.pk).exists()


def test_staff_create_rename_and_delete_their_own_pause_type(staff_api):
    created = staff_api.post("/api/v1/pause-types/", {"name": "Training"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert staff_api.patch(f"/api/v1/pause-types/{pk}/", {"name": "Coaching"}, format="json").json()["name"] == (
        "Coaching"
    )
    assert staff_api.delete(f"/api/v1/pause-types/{pk}/").status_code == 204
    assert not PauseType.objects.filter(pk=pk).exists()


def test_duplicate_pause_type_name_is_refused_naming_the_field(staff_api):
    staff_api.post("/api/v1/pause-types/", {"name": "Training"}, format="json")
    response = staff_api.post("/api/v1/pause-types/", {"name": "Training"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_an_agent_cannot_create_pause_types(agent_api):
    assert agent_api.post("/api/v1/pause-types/", {"name": "Nap"}, format="json").status_code == 403
    assert not PauseType.objects.filter(name="Nap").exists()


def test_queue_lists_its_members_with_priorities(agent_api, agent, queue):
    data = agent_api.get(f"/api/v1/queues/{queue.pk}/").json()
    assert data["members"] == [{"agent": agent.pk, "username": "anna", "priority": 0}]


def test_staff_add_a_member_with_a_priority_and_change_it(staff_api, queue, other_agent):
    url = f"/api/v1/queues/{queue.pk}/members/"
    assert staff_api.post(url, {"agent": other_agent.pk, "priority": 5}, format="json").status_code == 200
    assert staff_api.post(url, {"agent": other_agent.pk, "priority": 9}, format="json").json()["priority"] == 9
    assert QueueMembership.objects.get(queue=queue, agent=other_agent).priority == 9


def test_staff_remove_a_member(staff_api, queue, agent):
    assert staff_api.delete(f"/api/v1/queues/{queue.pk}/members/{agent.pk}/").status_code == 204
    assert not QueueMembership.objects.filter(queue=queue, agent=agent).exists()


def test_adding_an_unknown_agent_is_refused_naming_the_field(staff_api, queue):
    response = staff_api.post(f"/api/v1/queues/{queue.pk}/members/", {"agent": 987654}, format="json")
    assert response.status_code == 400
    assert "agent" in response.json()


def test_staff_create_and_switch_off_a_queue(staff_api):
    created = staff_api.post("/api/v1/queues/", {"name": "VIP line"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert staff_api.patch(f"/api/v1/queues/{pk}/", {"active": False}, format="json").json()["active"] is False
    assert Queue.objects.get(pk=pk).active is False


def test_a_queue_with_chats_cannot_be_deleted(staff_api, start_chat, queue):
    start_chat()
    response = staff_api.delete(f"/api/v1/queues/{queue.pk}/")
    assert response.status_code == 400
    assert response.json()["code"] == "protected"


def test_an_agent_cannot_change_queues(agent_api, queue):
    assert agent_api.patch(f"/api/v1/queues/{queue.pk}/", {"name": "Mine"}, format="json").status_code == 403
    assert Queue.objects.get(pk=queue.pk).name == "Sales"


def test_unknown_queue_is_404(agent_api):
    assert agent_api.get("/api/v1/queues/987654/").status_code == 404


def test_errors_speak_polish_by_default(staff_api):
    pause = PauseType.objects.get(code="break")
    response = staff_api.delete(f"/api/v1/pause-types/{pause.pk}/")
    assert response.json()["pause_type"] == ["Wbudowanych typów pauzy nie można usunąć."]


def test_a_pause_type_differing_only_in_case_and_a_negative_priority_answer_400(staff_api, queue, other_agent):
    staff_api.post("/api/v1/pause-types/", {"name": "Training"}, format="json")
    response = staff_api.post("/api/v1/pause-types/", {"name": "TRAINING"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "unique") and "name" in response.json()
    url = f"/api/v1/queues/{queue.pk}/members/"
    response = staff_api.post(url, {"agent": other_agent.pk, "priority": -1}, format="json")
    assert response.status_code == 400 and "priority" in response.json()
    assert not QueueMembership.objects.filter(agent=other_agent, queue=queue).exists()
