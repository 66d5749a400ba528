"""A registry of strategy classes keyed by the codes declared in ``chat.models.strategies``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import TextChoices

from chat.models.strategies import UnknownStrategy


class Registry:
    """``register(code)`` gives a declared code its class (with the declaration's code and label);
    ``check_complete()`` refuses a declared code without one; ``steps(codes)`` makes the steps of an order,
    raising ``UnknownStrategy`` for a code nobody declared."""

    def __init__(self, kind: str, declared: type[TextChoices]):
        self.kind, self.declared = kind, declared
        self._classes: dict[str, type] = {}

    def register(self, code: TextChoices):
        def decorate(cls):
            if code.value in self._classes:
                raise ValueError(f"{self.kind} strategy {code.value!r} is registered twice")
            cls.code, cls.label = code.value, code.label
            self._classes[code.value] = cls
            return cls

        return decorate

    def check_complete(self) -> None:
        missing = set(self.declared.values) - set(self._classes)
        if missing:  # a declared code without behaviour would be refused at every dispatch
            raise ImportError(f"{self.kind} strategy codes without a class: {sorted(missing)}")

    def steps(self, codes: Iterable[str]) -> list:
        steps = []
        for code in codes:
            if code not in self._classes:
                raise UnknownStrategy(self.kind, code)
            steps.append(self._classes[code]())
        return steps

    def items(self) -> Iterator[tuple[str, type]]:
        return iter(self._classes.items())
