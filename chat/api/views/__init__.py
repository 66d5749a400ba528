"""Chat's REST API under /api/v1/, one module per resource: the card (settings), queues, chats (with their
actions), messages, attachments. One class per resource path, one method per operation, nested input
serializers; every write calls one service, every read goes through a selector that hides what the user may
not see (404). Agents, presence and pause types are agents.api's; customers crm.api's."""
