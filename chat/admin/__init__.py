"""Admin of the chat module, one module per area: the parameter card on one page (card.py), queues
(queues.py), chats, read-only (chats.py). Django's autodiscovery imports this package; the imports below
register the pages; canned responses (canned.py); django-celery-beat's periodic tasks with
their labels in Polish (beat.py).

The admin is a thin way in: the card is saved through ``chat_settings_update``
and ``strategy_order_set``; queues through the queue services; chats change only
through the chat services.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chat.admin import beat, canned, card, chats, queues  # noqa: F401 - registers the pages

admin.site.site_header = _("Parley administration")
admin.site.site_title = _("Parley")
admin.site.index_title = _("Administration")
