"""Strategy codes and labels are declared once (chat.models.strategies); the routing registries give each its
behaviour, and an order naming an unknown code is an error, never silently shortened."""

from __future__ import annotations

import pytest

from chat.models import AgentStrategyCode, AgentStrategyStep, ChatOrderCode, ChatStrategyStep
from chat.models.strategies import UnknownStrategy
from chat.routing.agent_chain import AGENT_STRATEGY_REGISTRY
from chat.routing.chat_order import CHAT_ORDER_REGISTRY, chat_order_by
from chat.services.dispatch import dispatch
from tests import factories

from .helpers import agent_of, waiting_chat


def test_every_declared_code_has_its_behaviour_and_the_declared_label():
    assert {code: cls.label for code, cls in AGENT_STRATEGY_REGISTRY.items()} == dict(AgentStrategyCode.choices)
    assert {code: cls.label for code, cls in CHAT_ORDER_REGISTRY.items()} == dict(ChatOrderCode.choices)


def test_the_step_models_offer_the_declared_codes():
    assert AgentStrategyStep._meta.get_field("code").choices == AgentStrategyCode.choices
    assert ChatStrategyStep._meta.get_field("code").choices == ChatOrderCode.choices


@pytest.mark.django_db
def test_an_unknown_code_in_the_agent_chain_stops_dispatch_with_an_error(agent_factory):
    queue = factories.QueueFactory()
    agent_factory(queue=queue)
    chat = waiting_chat(queue)
    AgentStrategyStep.objects.filter(code="owner").update(code="fastest")  # written behind the services' back

    with pytest.raises(UnknownStrategy, match="fastest"):
        dispatch()
    assert agent_of(chat) is None


@pytest.mark.django_db
def test_an_unknown_code_in_the_chat_order_is_an_error_for_dispatch_and_the_inbox(agent_factory):
    queue = factories.QueueFactory()
    agent_factory(queue=queue)
    waiting_chat(queue)
    ChatStrategyStep.objects.filter(code="vip").update(code="fastest")

    with pytest.raises(UnknownStrategy, match="fastest"):
        dispatch()
    with pytest.raises(UnknownStrategy, match="fastest"):
        chat_order_by(["longest_waiting", "fastest"])
