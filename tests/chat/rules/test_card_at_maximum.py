"""With every number of the card at its maximum, every timed rule runs, now and centuries from now (issue 11,
point 10: ``stop_auto_assign_after_hours = 20000000`` used to make its rule fail at every run)."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from chat.models import Attachment, Chat, ChatEvent, ChatSettings
from chat.services.files import attachment_create
from chat.services.rules import RULES
from chat.services.settings import chat_settings_update
from tests.chat.card_bounds import MAXIMUM

from .conftest import reload

pytestmark = pytest.mark.django_db



def run_rules() -> list[str]:
    out = StringIO()
    call_command("run_chat_rules", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == list(RULES)
    return lines


@pytest.fixture
def card_at_maximum(db):
    chat_settings_update(**MAXIMUM)
    card = ChatSettings.load()
    assert {name: getattr(card, name) for name in MAXIMUM} == MAXIMUM
    return card


def test_every_rule_runs_with_every_number_at_its_maximum(clock, card_at_maximum, make_chat, agent_factory, queue):
    agent = agent_factory(queue=queue)
    unanswered = make_chat(status=Chat.Status.ASSIGNED, agent=agent, awaiting_reply_since=clock())
    waiting = make_chat(page_closed_at=clock())
    internal = make_chat(channel=Chat.Channel.INTERNAL)
    old = make_chat(status=Chat.Status.CLOSED, closed_at=clock(), close_reason="agent")
    attachment = attachment_create(uploaded_file=ContentFile(b"%PDF", name="offer.pdf"), chat_id=unanswered.pk)
    assert attachment.expires_at == clock(hours=8760)

    clock()
    run_rules()  # nothing is due yet, nothing fails
    clock(seconds=86_400)
    run_rules()
    # Transferred after the longest no-reply time (and, its agent being the only one, given back to him at once:
    # docs/routing.md, "No-reply exclusions").
    assert ChatEvent.objects.filter(chat=unanswered, kind=ChatEvent.Kind.TRANSFERRED, reason="no_reply").exists()
    clock(hours=8760)
    run_rules()
    assert reload(waiting).status == Chat.Status.CLOSED  # a year of inactivity
    assert reload(internal).status == Chat.Status.CLOSED
    assert reload(attachment).expired_at is not None
    clock(days=3650)
    run_rules()
    assert not Chat.objects.filter(pk=old.pk).exists()  # ten years after closing


@pytest.mark.parametrize("year", [2999, 9000])
def test_every_rule_runs_at_its_maximum_centuries_from_now(time_machine, card_at_maximum, make_chat, year):
    time_machine.move_to(datetime(year, 12, 31, 23, 59, tzinfo=UTC), tick=False)
    chat = make_chat()
    attachment = attachment_create(uploaded_file=ContentFile(b"x", name="a.txt"), chat_id=chat.pk)
    assert attachment.expires_at.year == year + 1
    run_rules()
    assert Attachment.objects.filter(pk=attachment.pk, expired_at__isnull=True).exists()
