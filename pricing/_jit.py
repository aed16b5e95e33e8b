"""The one numba entry point of the pricing layer: where compiled kernels are cached, and the
options every kernel compiles with.

Cache: compiled kernels are cached on disk where the tool keeps its data, not in the source
tree: ``$HEDGE_CACHE_DIR/numba`` if that variable is set, else ``$NUMBA_CACHE_DIR`` if set,
else ``<platformdirs user cache dir for "smallcap-hedge">/numba`` (``~/.cache/smallcap-hedge``
on Linux), each in a subdirectory named by a hash of the pricing sources (see
:func:`kernel_sources_digest`). :func:`configure_cache` points numba at that directory before any
kernel is defined; every kernel module imports :func:`jit` from here.
``python -m pricing.compile`` (the setup step of ``make``) compiles and caches every kernel.

Options: ``cache=True``, ``nogil=True`` (threads of :mod:`pricing._parallel` run kernels in
parallel), ``error_model="numpy"`` (a division by zero gives inf/NaN, as in C, instead of a
checked Python ``ZeroDivisionError``, which removes a branch from every division) and
``fastmath={"contract"}`` only: ``a*b + c`` may become one fused multiply-add (exact product,
one rounding: never less accurate), no other fast-math licence. The Greeks kernels and Cody's
erf family compile with ``fastmath=False``. No kernel uses ``parallel=True``: on a contended
two-core machine it was measured slower (three times, on the chain IV solver) than the shared
chunks of :func:`pricing._parallel.run_in_chunks`, and it adds a parallel-lowering pass to
every compile.
"""

from __future__ import annotations

import hashlib
import os
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


def kernel_sources_digest() -> str:
    """A short hash of the pricing layer's sources and the numba version.

    numba checks a cached kernel against the time stamp of its own source file only, not of the
    files whose kernels it calls (and inlines): after an edit or an upgrade of one module, a
    kernel of another would load stale machine code. Caching under a directory named by this
    digest makes any change of any source start a fresh cache."""
    import importlib.metadata

    digest = hashlib.sha256(importlib.metadata.version("numba").encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def numba_cache_dir() -> Path:
    """Where numba caches compiled kernels (see the module docstring for the order of choice),
    in a subdirectory named by :func:`kernel_sources_digest`."""
    if not os.environ.get(CACHE_ENV, "").strip() and os.environ.get("NUMBA_CACHE_DIR", "").strip():
        base = Path(os.environ["NUMBA_CACHE_DIR"]).expanduser()
    else:
        base = cache_root() / "numba"
    return base / kernel_sources_digest()


def prune_stale_caches() -> list[Path]:
    """Remove the cache directories of other source digests beside the current one (kernels of
    older versions of the sources); return what was removed."""
    import re
    import shutil

    removed = []
    for sibling in CACHE_DIR.parent.iterdir():
        if (
            sibling != CACHE_DIR
            and sibling.is_dir()
            and re.fullmatch(r"[0-9a-f]{16}", sibling.name)
        ):
            shutil.rmtree(sibling, ignore_errors=True)
            removed.append(sibling)
    return removed


def configure_cache() -> Path:
    """Create :func:`numba_cache_dir` (a temporary directory if it cannot be created) and point
    numba's cache at it; return the directory used. Called once, by this module, before any
    kernel is decorated (numba reads the directory when a kernel's cache is set up)."""
    path = numba_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK):
            raise PermissionError(str(path))
    except OSError:
        user = os.getuid() if hasattr(os, "getuid") else 0
        path = Path(tempfile.gettempdir()) / f"{APP_NAME}-{user}" / "numba" / path.name
        path.mkdir(parents=True, exist_ok=True)
    import numba.core.config

    # Set on numba's config rather than in the environment, so child processes derive their own
    # directory (the environment variable, if the user set one, stays the base directory).
    setattr(numba.core.config, "CACHE_DIR", str(path))  # noqa: B010 (untyped module)
    return path


CACHE_DIR = configure_cache()

import numba  # noqa: E402

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
