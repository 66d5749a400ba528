"""``/webhooks/messenger``: Meta's verify-token handshake (GET) and events (POST)."""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from chat.messenger.services import messenger_webhook_handle
from chat.messenger.signature import signature_valid
from core.bodies import body_read
from core.rest.throttles import MessengerThrottle

logger = logging.getLogger(__name__)


@extend_schema(exclude=True)
class MessengerWebhookApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [MessengerThrottle]

    def get(self, request):
        mode = request.query_params.get("hub.mode")
        token = request.query_params.get("hub.verify_token")
        challenge = request.query_params.get("hub.challenge", "")
        expected = settings.MESSENGER_VERIFY_TOKEN
        if mode == "subscribe" and token and expected and hmac.compare_digest(token.encode(), expected.encode()):
            return HttpResponse(challenge, content_type="text/plain; charset=utf-8")
        return HttpResponse("Forbidden: wrong verify token.", status=403, content_type="text/plain; charset=utf-8")

    def post(self, request):
        # The signature covers the exact bytes Meta sent; over MESSENGER_BODY_MAX_BYTES -> 413 unread.
        raw = body_read(request, meta=request.META, limit=settings.MESSENGER_BODY_MAX_BYTES)
        if not signature_valid(raw, request.headers.get("X-Hub-Signature-256")):
            logger.warning("messenger webhook: missing or wrong signature from %s", request.META.get("REMOTE_ADDR"))
            return JsonResponse({"detail": "Missing or invalid X-Hub-Signature-256."}, status=403)
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than Python recurses
            return JsonResponse({"detail": "Malformed JSON.", "code": "parse_error"}, status=400)
        outcome = messenger_webhook_handle(payload=payload)
        # 200 whatever the events held: Meta disables a webhook that keeps failing.
        return JsonResponse({"stored": outcome.stored, "skipped": outcome.skipped})
