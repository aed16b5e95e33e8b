"""Share the chunks of a long kernel loop between the calling thread and helper threads."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

#: Quotes per work item of :func:`run_in_chunks`.
CHUNK = 2048
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def worker_threads() -> int:
    """Threads the chunked kernels use: the CPUs this process may run on (at most 8)."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(
                max_workers=max(worker_threads() - 1, 1), thread_name_prefix="pricing-kernel"
            )
        return _POOL


def _forget_pool_after_fork() -> None:
    """A forked child has none of the parent's threads: start a fresh pool there if needed."""
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def run_in_chunks(n: int, work: Callable[[int, int], None], *, chunk: int = CHUNK) -> None:
    """Call ``work(start, stop)`` over ``[0, n)`` in chunks, shared by the calling thread and
    helper threads that take the next chunk as they free up.

    The kernels release the GIL, so on an idle machine the chunks run in parallel; on a busy one
    (the cores shared with other processes) the calling thread simply does more of the chunks
    itself, so a descheduled helper never holds up more than the one chunk it took. numba's own
    ``parallel=True`` splits the work up front and waits for every part, which on a contended
    two-core machine was measured three times slower than one thread.
    """
    n_chunks = -(-n // chunk)
    threads = min(worker_threads(), n_chunks)
    if threads <= 1:
        work(0, n)
        return
    counter = itertools.count()  # next() is atomic under the GIL

    def drain() -> None:
        while (index := next(counter)) < n_chunks:
            start = index * chunk
            work(start, min(start + chunk, n))

    helpers = [_pool().submit(drain) for _ in range(threads - 1)]
    drain()
    for helper in helpers:
        # A helper still queued (the pool busy with another caller's chunks) is no longer
        # needed: every chunk has been taken. One that started is waited for (and re-raises).
        if not helper.cancel():
            helper.result()
