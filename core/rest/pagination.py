"""Pagination of the API's lists: ``?limit=&offset=`` with a ceiling.

Without ``max_limit`` DRF's LimitOffsetPagination serves whatever ``limit`` a client
asks for (``?limit=100000000`` reads a whole table in one answer). A larger limit is
lowered to ``API_MAX_PAGE_SIZE``, silently, as DRF does; ``next`` then leads on.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination


def max_page_size() -> int:
    return int(settings.API_MAX_PAGE_SIZE)


class ParleyPagination(LimitOffsetPagination):
    """The default pagination class of every paginated list (settings ``DEFAULT_PAGINATION_CLASS``)."""

    @property
    def default_limit(self) -> int:
        return min(int(settings.REST_FRAMEWORK["PAGE_SIZE"]), max_page_size())

    @property
    def max_limit(self) -> int:
        return max_page_size()
