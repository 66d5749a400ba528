from crm.models import Customer
from tests import factories


def test_create_a_customer(staff_api):
    response = staff_api.post(
        "/api/v1/customers/", {"name": "Jan Kowalski", "email": "jan@example.com", "vip": True}, format="json"
    )
    assert response.status_code == 201
    assert Customer.objects.get(pk=response.json()["id"]).vip is True


def test_an_agent_creates_a_customer_without_owner_or_vip(agent_api):
    response = agent_api.post("/api/v1/customers/", {"name": "Jan Kowalski", "email": "jan@example.com"},
                              format="json")
    assert response.status_code == 201
    assert Customer.objects.get(pk=response.json()["id"]).vip is False


def test_the_same_email_in_other_case_is_refused_naming_the_field(agent_api):
    factories.CustomerFactory(email="a@x.pl")
    response = agent_api.post("/api/v1/customers/", {"name": "Other", "email": "A@X.PL"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()
    assert Customer.objects.count() == 1


def test_invalid_email_is_refused_naming_the_field(agent_api):
    response = agent_api.post("/api/v1/customers/", {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


def test_search_customers_by_name_email_or_phone(staff_api):
    factories.CustomerFactory(name="Ewa Nowak", email="ewa@example.com", phone="+48 500")
    factories.CustomerFactory(name="Piotr", email="piotr@example.com")
    for q in ("nowak", "EWA@", "+48 5"):
        names = [c["name"] for c in staff_api.get("/api/v1/customers/", {"q": q}).json()["results"]]
        assert names == ["Ewa Nowak"], q


def test_staff_update_a_customer_owner(staff_api, agent):
    customer = factories.CustomerFactory()
    response = staff_api.patch(f"/api/v1/customers/{customer.pk}/", {"owner": agent.pk}, format="json")
    assert response.status_code == 200
    assert Customer.objects.get(pk=customer.pk).owner_id == agent.pk


def test_unknown_owner_is_refused_naming_the_field(staff_api):
    customer = factories.CustomerFactory()
    response = staff_api.patch(f"/api/v1/customers/{customer.pk}/", {"owner": 987654}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()


def test_a_customers_chats(staff_api, start_chat):
    customer = factories.CustomerFactory(email="anna@example.com")
    chat = start_chat(visitor_email="anna@example.com")
    rows = staff_api.get(f"/api/v1/customers/{customer.pk}/chats/").json()["results"]
    assert [row["id"] for row in rows] == [chat.pk]
    assert rows[0]["customer"] == customer.pk


def test_unknown_customer_is_404(agent_api):
    assert agent_api.get("/api/v1/customers/987654/").status_code == 404
