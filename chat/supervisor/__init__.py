"""The supervisor's pages (staff only): the live floor, the supervisor's actions on chats and agents, the reports.

A way in like the inbox: thin views over ``chat.services.supervision`` (actions), ``chat.reports`` (the floor's
and the reports' figures) and ``chat.selectors``.
"""
