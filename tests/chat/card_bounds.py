"""The card's documented upper bounds (docs/admin.md, docs/api.md), written out once for the tests, so that a
changed bound is a visible change here and not a silent one read back from the model."""

from __future__ import annotations

import pytest

MAXIMUM = {
    "inactivity_timeout_website": 31_536_000,
    "inactivity_timeout_messenger": 31_536_000,
    "inactivity_timeout_internal": 31_536_000,
    "no_reply_transfer_after": 86_400,
    "max_concurrent_chats": 100,
    "delete_chats_after_days": 3650,
    "stop_auto_assign_after_hours": 8760,
    "file_max_size_mb": 100,
    "file_download_hours": 8760,
    "no_inbox_after": 86_400,
}
# name, refused value, the largest accepted value: one past each maximum, and the reproductions.
TOO_LARGE = [pytest.param(name, high + 1, high, id=f"{name}-max+1") for name, high in MAXIMUM.items()] + [
    pytest.param("stop_auto_assign_after_hours", 20_000_000, 8760, id="reproduction-stop-auto-assign-20000000"),
    pytest.param("file_download_hours", 100_000_000, 8760, id="reproduction-download-hours-100000000"),
]
