"""One object per running event loop.

asyncio objects (connections, futures, tasks) belong to the loop that made them. A server
process runs one loop, but an app may be driven by several (each test client runs its own, at
the same time as another), so anything async the app keeps is kept per loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

Value = TypeVar("Value")


class PerLoop(Generic[Value]):
    def __init__(self, factory: Callable[[], Value]) -> None:
        self._factory = factory
        self._values: WeakKeyDictionary[asyncio.AbstractEventLoop, Value] = WeakKeyDictionary()
        # The last loop asked for and its value: a server process only ever has one loop, and
        # a weak-dict lookup (a new weak reference each time) costs more than the work it guards.
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], Value] | None = None

    def get(self) -> Value:
        """The running loop's value (made on first use)."""
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0]() is loop:
            return last[1]
        value = self._values.get(loop)
        if value is None:
            value = self._values[loop] = self._factory()
        self._last = (weakref.ref(loop), value)
        return value

    def current(self) -> Value | None:
        """The running loop's value, if it made one."""
        return self._values.get(asyncio.get_running_loop())

    def __iter__(self) -> Iterator[Value]:
        return iter(list(self._values.values()))
