"""Stored files leave the server only through the checked download views (issue 11, point 9): no URL serves
MEDIA_ROOT, not even the development server's (DEBUG) route that Django's ``static()`` helper adds."""

from __future__ import annotations

import importlib

import pytest
from django.urls import Resolver404, clear_url_caches, resolve

import config.urls


@pytest.fixture
def debug_urls(settings):
    """The URL configuration as it is built with DEBUG on (it is read once, at import)."""
    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_no_url_serves_stored_files_even_with_debug_on(debug_urls):
    with pytest.raises(Resolver404):
        resolve("/media/attachments/2026/03/02/some-token/offer.pdf")


def test_a_stored_file_is_not_found_at_its_media_address_with_debug_on(debug_urls, client, settings, db):
    stored = settings.MEDIA_ROOT / "attachments" / "2026" / "03" / "02" / "tok" / "offer.pdf"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"%PDF secret")
    response = client.get("/media/attachments/2026/03/02/tok/offer.pdf")
    assert response.status_code == 404
    assert b"secret" not in response.content
