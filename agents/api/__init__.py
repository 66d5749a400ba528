"""The agents' part of the REST API under /api/v1/: agents and their presence, pause types."""
