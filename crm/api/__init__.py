"""The CRM's part of the REST API under /api/v1/: customers."""
