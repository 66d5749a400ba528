"""Routing: which agent gets a chat (agent_chain) and which chat goes first (chat_order).

Both are registries of small strategy classes keyed by the stable codes stored in
``AgentStrategyStep.code`` / ``ChatStrategyStep.code``. Evaluation has no side
effects; the services in ``chat.services.dispatch`` do the writing.
"""
