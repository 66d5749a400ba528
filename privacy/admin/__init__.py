"""The privacy requests' admin: the audit records and the request page (requests.py), the customers' actions and
buttons (customers.py). Django's autodiscovery imports this package after the CRM's admin (INSTALLED_APPS order)."""

from privacy.admin import customers, requests  # noqa: F401 - registers the pages
