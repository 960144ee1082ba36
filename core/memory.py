"""Pausing Python's cyclic garbage collector while a bulk read builds many small objects.

A portfolio report at 10,000 agreements creates a few hundred thousand tuples; each allocation
burst triggers a collection that walks every live object, which cost about a third of the
report's time (0.75-0.80 s with the collector on, 0.55 s paused). The objects built are not
cyclic, so nothing is lost by collecting after the read instead of during it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; safe to nest and to use from threads.

    The collector is turned back on (if it was on) when the last concurrent block ends.
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
