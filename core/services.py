"""Service helpers every app uses to write a model through its rules (HackSoft's ``model_update`` idea):
validate with the model's own field rules, save, and turn what the database refuses into a clear
refusal naming the field. ``error`` is the refusal's class: chat's services pass ``ChatError``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


def model_full_clean(obj: Model, *, error: type[ApplicationError] = ApplicationError) -> None:
    """The model's validation; its first message becomes the refusal (code ``invalid``)."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        raise error(errors[0], field=None if field == "__all__" else field, code="invalid") from exc


def model_save_unique(
    obj: Model, *, taken_message, field: str = "name", error: type[ApplicationError] = ApplicationError
) -> None:
    """Validate and save; a value already taken (the database's unique index decides) is refused
    with ``taken_message`` on ``field`` (code ``unique``)."""
    model_full_clean(obj, error=error)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise error(taken_message, field=field, code="unique")


def model_edit(
    model: type[Model], *, pk: int, fields: dict, allowed: set, field: str, missing_message, taken_message,
    error: type[ApplicationError] = ApplicationError,
) -> Model:
    """Change some fields of one row, locked until the end of the caller's transaction, refusing unknown
    fields and a missing row; saved by :func:`model_save_unique`."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise error(_("Unknown field: %(name)s.") % {"name": unknown[0]}, field=unknown[0], code="unknown_field")
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise error(missing_message, field=field, code="not_found")
    for name, value in fields.items():
        setattr(obj, name, value)
    model_save_unique(obj, taken_message=taken_message, error=error)
    return obj


def on_commit_robust(function, /, *args, **kwargs) -> None:
    """``transaction.on_commit(…, robust=True)`` for ``function(*args, **kwargs)``: after the commit (at once outside
    a transaction), and an exception is logged, never raised to the code that committed. A named function, not a
    ``functools.partial``: Django names the callback in its log line (``__qualname__``), which a partial lacks,
    so its failure would raise AttributeError instead of being logged."""

    def after_commit():
        function(*args, **kwargs)

    after_commit.__name__ = getattr(function, "__name__", "after_commit")
    after_commit.__qualname__ = getattr(function, "__qualname__", repr(function))
    transaction.on_commit(after_commit, robust=True)
