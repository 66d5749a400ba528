"""Routing: which agent gets a chat (``agent_chain``, ``choice``) and which chat goes first (``chat_order``).

Both are registries of small strategy classes keyed by the codes declared in ``chat.models.strategies``
(stored in ``AgentStrategyStep.code`` / ``ChatStrategyStep.code``). They build SQL and read; the services in
``chat.services.dispatch`` do the writing.
"""
