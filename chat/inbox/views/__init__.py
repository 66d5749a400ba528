"""The agent inbox: server-rendered pages with htmx, one module per area: the page and its live parts
(pages.py), messages and files (messages.py), chat actions (chats.py), login, log-out and presence
(session.py); what they share is common.py.

Every view is thin: it parses input, checks that the agent may see the chat
(404 otherwise), calls one service and renders. Live parts (the sidebar with
the presence bar, and the open chat's messages) are polled every 2 s; a poll
answers 204 No Content when nothing changed, so an idle inbox costs a few
small queries and no DOM work (docs/inbox.md says why polling, not SSE).
"""
