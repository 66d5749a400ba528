"""The same numbers on the page's table, in its CSV and from the API; staff only everywhere; bad input answered
clearly."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agents.models import ApiToken
from chat.reports.figures import MEASURES
from chat.reports.selectors import REPORTS
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

RANGE = {"from": "2026-03-10", "to": "2026-03-11"}
CODES = [code for code, _label in MEASURES]


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=user)[1]}")
    return client


def page_numbers(html: str) -> list[list]:
    """The table's cells: every measure's data-value (numbers as the API gives them, None for "–")."""
    numbers = []
    for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", html, re.S):
        cells = re.findall(r'<td data-code="(\w+)" data-value="([^"]*)">', row)
        assert [code for code, _v in cells] == CODES
        numbers.append([None if v == "" else (float(v) if "." in v else int(v)) for _c, v in cells])
    return numbers


def number(text: str):
    return None if text in ("", None) else (float(text) if "." in str(text) else int(text))


@pytest.mark.parametrize("name", list(REPORTS))
def test_page_csv_and_api_give_the_same_numbers(figures_data, client, name):
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)
    url = reverse("supervisor:report", args=[name])

    page = client.get(url, RANGE)
    download = client.get(url, {**RANGE, "format": "csv"})
    api = api_client(staff).get(f"/api/v1/reports/{name}/", RANGE)

    assert page.status_code == download.status_code == api.status_code == 200
    from_page = page_numbers(page.content.decode())
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["key", "label", *CODES]
    from_csv = [[number(v) for v in row[2:]] for row in rows[1:]]
    from_api = [[row[code] for code in CODES] for row in api.json()["rows"]]
    assert from_page == from_csv == from_api
    assert sum(row[0] for row in from_api) == 7  # every report splits the same 7 chats
    assert 'role="img"' in page.content.decode() and "<title id=\"chart-title\">" in page.content.decode()


def test_the_overview_page_shows_the_totals_in_polish(figures_data, client):
    client.force_login(factories.UserFactory(is_staff=True))
    client.cookies["django_language"] = "pl"

    page = client.get(reverse("supervisor:reports"), RANGE, HTTP_ACCEPT_LANGUAGE="pl")

    html = page.content.decode()
    assert page.status_code == 200
    assert page_numbers(html)[0][:6] == [7, 2, 1, 1, 3, 1]
    assert '<html lang="pl">' in html
    assert "290,0" in html  # the median handling time, written the Polish way
    assert '<td data-code="rating_average" data-value="3.25">3,25</td>' in html  # issue 17: the mean score
    assert "Średnia ocena (1–5)" in html


def test_the_agents_report_counts_ratings_on_the_page_in_the_csv_and_the_api(figures_data, client):
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)
    url = reverse("supervisor:report", args=["agents"])

    html = client.get(url, RANGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = list(csv.DictReader(io.StringIO(client.get(url, {**RANGE, "format": "csv"}).content.decode())))
    api = api_client(staff).get("/api/v1/reports/agents/", RANGE).json()

    assert api["columns"][-2:] == ["rated", "rating_average"]
    assert [(r["rated"], r["rating_average"]) for r in api["rows"]] == [(1, 5.0), (2, 3.5), (1, 1.0)]
    assert [(r["rated"], r["rating_average"]) for r in rows] == [("1", "5.0"), ("2", "3.5"), ("1", "1.0")]
    assert '<td data-code="rating_average" data-value="3.5">3.50</td>' in html
    assert '<th scope="col" data-code="rated">Rated</th>' in html


def test_the_csv_names_the_range_and_keeps_a_formula_out(figures_data, client):
    factories.QueueFactory(name="=1+1")
    client.force_login(factories.UserFactory(is_staff=True))

    download = client.get(reverse("supervisor:report", args=["queues"]), {**RANGE, "format": "csv"})

    assert download["Content-Type"].startswith("text/csv")
    assert 'filename="parley-queues-2026-03-10-2026-03-11.csv"' in download["Content-Disposition"]
    assert "Sales" in download.content.decode()


def test_the_api_lists_the_reports(db):
    answer = api_client(factories.UserFactory(is_staff=True)).get("/api/v1/reports/")

    assert answer.status_code == 200
    assert [r["name"] for r in answer.json()] == list(REPORTS)


@pytest.mark.parametrize("path", ["/api/v1/reports/", "/api/v1/reports/hours/"])
def test_an_agent_who_is_not_staff_gets_403_from_the_api(db, path):
    assert api_client(factories.UserFactory()).get(path).status_code == 403


@pytest.mark.parametrize("query", [{}, {"format": "csv"}])
def test_an_agent_who_is_not_staff_gets_403_on_the_pages(db, client, query):
    client.force_login(factories.UserFactory())

    assert client.get(reverse("supervisor:reports"), query).status_code == 403
    assert client.get(reverse("supervisor:report", args=["days"]), query).status_code == 403


def test_somebody_logged_out_goes_to_the_login_page(db, client):
    response = client.get(reverse("supervisor:report", args=["days"]))

    assert response.status_code == 302 and reverse("inbox:login") in response["Location"]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to", "invalid_range"),
        ({"from": "10.03.2026"}, "from", "invalid_date"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to", "range_too_long"),
        ({"queue": "sales"}, "queue", "invalid"),
        ({"channel": "internal"}, "channel", "invalid"),
    ],
)
def test_bad_input_is_400_with_a_clear_message(db, client, query, field, code):
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)

    answer = api_client(staff).get("/api/v1/reports/days/", query)
    page = client.get(reverse("supervisor:report", args=["days"]), query)

    assert answer.status_code == 400
    assert answer.json()["code"] == code and answer.json()[field][0]
    assert page.status_code == 400
    assert answer.json()[field][0] in page.content.decode().replace("&#x27;", "'")


def test_an_unknown_report_is_404(db, client):
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)

    assert api_client(staff).get("/api/v1/reports/nothing/").status_code == 404
    assert client.get("/supervisor/reports/nothing/").status_code == 404


def test_the_supervisor_nav_links_the_reports(db, client):
    client.force_login(factories.UserFactory(is_staff=True))

    html = client.get(reverse("supervisor:report", args=["agents"])).content.decode()

    assert f'<a href="{reverse("supervisor:reports")}" aria-current="page">' in html
