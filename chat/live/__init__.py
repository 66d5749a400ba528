"""The push channel: WebSocket consumers of the inbox and the widget (a way in, like the inbox views)."""
