"""The dispatch statement is readable as a whole: the complete text for the default settings is checked in
(chat/services/dispatch/assign_one.sql), and these tests fail when what dispatch runs drifts from it."""

from __future__ import annotations

import pytest

from chat.services.dispatch.run import Run
from chat.services.dispatch.statements import REFERENCE, reference_sql

REGENERATE = (
    "the dispatch statement changed: read the difference, then regenerate the checked-in text with "
    '`python manage.py shell -c "from chat.services.dispatch.statements import write_reference; write_reference()"`'
)


def test_the_checked_in_statement_is_the_one_generated_for_the_default_settings():
    assert REFERENCE.read_text() == reference_sql(), REGENERATE


@pytest.mark.django_db
def test_dispatch_with_the_default_card_runs_the_checked_in_statement():
    assert Run.load().assign_statement.sql == REFERENCE.read_text(), REGENERATE
