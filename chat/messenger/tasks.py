"""Celery task of the Messenger channel (imported by ``chat.tasks`` so that autodiscovery finds it)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from chat.messenger.services import DeliveryRetry, messenger_message_deliver


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DeliveryRetry,),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=settings.MESSENGER_SEND_MAX_RETRIES,
)
def messenger_send_reply(self, message_id: int) -> str:
    """Send an agent's reply through the Send API; transient failures retry with exponential backoff."""
    return messenger_message_deliver(message_id=message_id, final_attempt=self.request.retries >= self.max_retries)
