"""The one numba entry point of the pricing layer: where compiled kernels are cached, and the
options every kernel compiles with.

Cache: compiled kernels are cached on disk where the tool keeps its data, not in the source
tree: ``$HEDGE_CACHE_DIR/numba`` if that variable is set, else ``$NUMBA_CACHE_DIR`` if set,
else ``<platformdirs user cache dir for "smallcap-hedge">/numba`` (``~/.cache/smallcap-hedge``
on Linux). :func:`configure_cache` sets numba's cache directory before numba is first imported
(this module imports numba only after it); every kernel module imports :func:`jit` from here.
``python -m pricing.compile`` (the setup step of ``make``) compiles and caches every kernel.

Options: ``cache=True``, ``nogil=True`` (threads of :mod:`pricing._parallel` run kernels in
parallel), ``error_model="numpy"`` (a division by zero gives inf/NaN, as in C, instead of a
checked Python ``ZeroDivisionError``, which removes a branch from every division) and
``fastmath={"contract"}`` only: ``a*b + c`` may become one fused multiply-add (exact product,
one rounding: never less accurate), no other fast-math licence. The Greeks kernels and Cody's
erf family compile with ``fastmath=False``. No kernel uses ``parallel=True``: on a contended
two-core machine it was measured slower than :func:`pricing._parallel.run_in_chunks`, and it
triples compile time.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast, overload

#: Environment variable naming the tool's cache directory (the numba cache is its ``numba``).
CACHE_ENV = "HEDGE_CACHE_DIR"
APP_NAME = "smallcap-hedge"


def cache_root() -> Path:
    """The tool's cache directory: ``$HEDGE_CACHE_DIR`` or the platform's user cache dir."""
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def numba_cache_dir() -> Path:
    """Where numba caches compiled kernels (see the module docstring for the order of choice)."""
    if not os.environ.get(CACHE_ENV, "").strip() and os.environ.get("NUMBA_CACHE_DIR", "").strip():
        return Path(os.environ["NUMBA_CACHE_DIR"]).expanduser()
    return cache_root() / "numba"


def configure_cache() -> Path:
    """Point numba's cache at :func:`numba_cache_dir` (created if missing; a temporary directory
    if it cannot be created), before numba is imported; return the directory used."""
    path = numba_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK):
            raise PermissionError(str(path))
    except OSError:
        path = Path(tempfile.gettempdir()) / f"{APP_NAME}-numba-{os.getuid() if hasattr(os, 'getuid') else 0}"
        path.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(path)
    config = sys.modules.get("numba.core.config")
    if config is not None:  # numba already imported (by a third party): it read the env then
        config.CACHE_DIR = str(path)  # type: ignore[attr-defined]
    return path


CACHE_DIR = configure_cache()

import numba  # noqa: E402  (after the cache directory is set)

_F = TypeVar("_F", bound=Callable[..., Any])


@overload
def jit(func: _F, /) -> _F: ...


@overload
def jit(*, fastmath: bool | set[str] = ...) -> Callable[[_F], _F]: ...


def jit(func: Any = None, /, *, fastmath: bool | set[str] | None = None) -> Any:
    """``numba.njit`` with the layer's options (module docstring), typed as an identity
    decorator so mypy keeps the signature. Use bare (``@jit``) or ``@jit(fastmath=False)``."""
    options: dict[str, Any] = {
        "cache": True,
        "nogil": True,
        "error_model": "numpy",
        "fastmath": {"contract"} if fastmath is None else fastmath,
    }
    decorator = numba.njit(**options)
    if func is None:
        return cast(Callable[[_F], _F], decorator)
    return decorator(func)
