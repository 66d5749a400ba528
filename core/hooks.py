"""Extension points: a lower layer says that something happened; a higher one decides what follows.

A service must not import the ways in above it (a Celery task module, the Messenger channel) nor the
apps that build on it (``agents`` knows nothing of ``chat``). Where it must still set something off
there, it declares a :class:`Hook` and calls it; the package above registers its function once, from
its ``AppConfig.ready()``. Unlike a Django signal, a hook has a name, is called in the order of
registration, lets every exception through (the caller's transaction decides), and runs nothing
hidden: ``grep`` the hook's name to find both ends. docs/decisions.md, "Import layers".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    """A named list of functions, called with the same keyword arguments."""

    def __init__(self, name: str):
        self.name = name
        self._functions: list[Callable[..., Any]] = []

    def register(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Add ``function`` (once: registering it again changes nothing). Usable as a decorator."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def unregister(self, function: Callable[..., Any]) -> None:
        """Remove ``function`` (nothing happens when it is not registered): for tests that listen for a while."""
        if function in self._functions:
            self._functions.remove(function)

    def __call__(self, **kwargs: Any) -> None:
        for function in list(self._functions):
            function(**kwargs)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._functions)} registered)"
