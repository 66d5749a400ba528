"""The plumbing every JSON way in shares (the REST APIs of chat, agents and crm, the widget, the
Messenger webhook): the error answers and their shape, throttles, pagination, permissions, the
OpenAPI schema's generation and the views that serve it. It knows no app."""
