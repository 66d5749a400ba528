"""The parameter card and the two strategy orders.

These two functions are the only way the card changes: the admin, the REST API
and management commands call them. Both validate everything before writing,
raise :class:`chat.services.errors.ChatError` on bad input and then change
nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from chat.models import AgentStrategyCode, AgentStrategyStep, ChatOrderCode, ChatSettings, ChatStrategyStep
from chat.services.dispatch import dispatch_soon
from chat.services.errors import ChatError
from chat.services.live.publish import live_settings

logger = logging.getLogger(__name__)

# kind -> (step model, known codes, the field name errors are reported on)
STRATEGY_KINDS: dict[str, tuple[type[models.Model], list[str], str]] = {
    "agent": (AgentStrategyStep, list(AgentStrategyCode.values), "agent_strategy_order"),
    "chat": (ChatStrategyStep, list(ChatOrderCode.values), "chat_strategy_order"),
}

# The card's pause types: each takes a PauseType, its id or None.
PAUSE_TYPE_FIELDS: tuple[str, ...] = ("no_reply_pause_type", "no_inbox_pause_type")

# The card's parameters that can be changed (everything but the key and the timestamp).
EDITABLE_FIELDS: frozenset[str] = frozenset(
    field.name for field in ChatSettings._meta.concrete_fields if field.editable and not field.primary_key
)


def strategy_order_validate(*, kind: str, codes: Any) -> list[str]:
    """Return ``codes`` as a list when it is a complete order of ``kind``'s strategies, else raise ChatError."""
    if kind not in STRATEGY_KINDS:
        raise ChatError(_("Unknown strategy list: %(kind)s.") % {"kind": kind}, field="kind", code="invalid_kind")
    _model, known, field = STRATEGY_KINDS[kind]
    if isinstance(codes, str | bytes) or not isinstance(codes, Iterable):
        raise ChatError(_("Send the strategies as a list of codes."), field=field, code="invalid")
    codes = list(codes)
    if not all(isinstance(code, str) for code in codes):
        raise ChatError(_("Send the strategies as a list of codes."), field=field, code="invalid")
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ChatError(
            _("Unknown strategy: %(codes)s. Known strategies: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(known)},
            field=field,
            code="unknown",
        )
    repeated = [code for code, count in Counter(codes).items() if count > 1]
    if repeated:
        raise ChatError(
            _("Each strategy may appear only once; repeated: %(codes)s.") % {"codes": ", ".join(repeated)},
            field=field,
            code="repeated",
        )
    missing = [code for code in known if code not in codes]
    if missing:
        raise ChatError(
            _("Every strategy must be in the order; missing: %(codes)s.") % {"codes": ", ".join(missing)},
            field=field,
            code="missing",
        )
    return codes


def strategy_order_set(*, kind: str, codes: list[str], actor=None) -> list[str]:
    """Store a new order of the agent chain (``kind="agent"``) or of the chat order (``kind="chat"``).

    ``codes`` must name every strategy of that list exactly once. Returns the stored order.
    """
    codes = strategy_order_validate(kind=kind, codes=codes)
    model, _known, _field = STRATEGY_KINDS[kind]
    with transaction.atomic():
        card = ChatSettings.load()
        # Lock the rows of this list so that two reorders at once end in one of them, not a mix.
        list(model.objects.select_for_update().order_by("pk"))
        for position, code in enumerate(codes):
            updated = model.objects.filter(code=code).update(order=position, settings=card)
            if not updated:  # a row lost by hand: put it back
                model.objects.create(code=code, order=position, settings=card)
        logger.info("%s strategy order set by %s: %s", kind, actor or "system", ", ".join(codes))
        live_settings()  # the waiting lists' order
    return codes


def _chat_error_from(exc: ValidationError) -> ChatError:
    """The first problem of a ValidationError as a ChatError; all of them in ``.errors``."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
    else:
        field, errors = NON_FIELD_ERRORS, exc.error_list
    first = errors[0]
    message = next(iter(first))  # the rendered message of the first error
    error = ChatError(message, field=None if field == NON_FIELD_ERRORS else field, code=first.code or "invalid")
    error.errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    return error


def chat_settings_update(*, actor=None, **fields: Any) -> ChatSettings:
    """Change parameters of the card; ``fields`` are the card's field names (see DESIGN.md "Contracts").

    ``no_reply_pause_type`` and ``no_inbox_pause_type`` take a PauseType, its id or None. ``agent_strategy_order`` and
    ``chat_strategy_order`` (lists of codes) are accepted too and stored in the same transaction.
    The whole card is validated (``full_clean``) before anything is saved; after commit a dispatch
    runs, since capacity and phone-call rules may have changed who is eligible.
    """
    orders = {kind: fields.pop(STRATEGY_KINDS[kind][2]) for kind in STRATEGY_KINDS if STRATEGY_KINDS[kind][2] in fields}
    unknown = sorted(set(fields) - EDITABLE_FIELDS - {f"{name}_id" for name in PAUSE_TYPE_FIELDS})
    if unknown:
        raise ChatError(
            _("Unknown parameter: %(name)s.") % {"name": ", ".join(unknown)}, field=unknown[0], code="unknown_field"
        )
    for kind, codes in orders.items():
        orders[kind] = strategy_order_validate(kind=kind, codes=codes)

    with transaction.atomic():
        ChatSettings.load()
        card = ChatSettings.objects.select_for_update().get(pk=ChatSettings.SINGLETON_PK)
        changed = []
        for name, value in fields.items():
            base = name.removesuffix("_id")
            if base in PAUSE_TYPE_FIELDS and not isinstance(value, models.Model):
                # An id (API) or None; full_clean checks that the pause type exists.
                name, value = f"{base}_id", (None if value in (None, "") else value)
            if getattr(card, name) != value:
                changed.append(name)
            setattr(card, name, value)
        try:
            card.full_clean()
        except ValidationError as exc:
            raise _chat_error_from(exc) from exc
        card.save()
        for kind, codes in orders.items():
            strategy_order_set(kind=kind, codes=codes, actor=actor)
        if changed:
            logger.info("chat parameters changed by %s: %s", actor or "system", ", ".join(changed))
            live_settings()
        dispatch_soon()
    return card
