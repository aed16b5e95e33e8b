"""The on-disk cache of analysed expiries (:mod:`marketdata.analysis`), one folder per snapshot.

A snapshot's folder is named by :func:`snapshot_key`: a SHA-256 of everything the analysis
reads (every cell of the chain frame, spot, ``as_of``, the rate curve, the dividend forecast, the
cleaning rules) and of the analysis code itself (:func:`code_version`: the source of the
``marketdata`` analysis modules and of every ``pricing`` module, and the numpy/scipy/pandas
versions). A change to any of them gives a new key, so a stale entry is never read; old folders
are pruned beyond :data:`MAX_SNAPSHOTS` (least recently written or read first).

Each entry is one ``.npz`` file (plain arrays and a JSON text; never a pickle: files are loaded
with ``allow_pickle=False``) written to a temporary file in the same folder and moved into place
with :func:`os.replace`, so two processes may write the same entry at once and a reader never
sees half a file. A file that cannot be read (truncated, corrupt, wrong shape) is ignored:
:meth:`AnalysisCache.load` returns None and the caller recomputes and rewrites it.

Where: :func:`marketdata.paths.resolve_cache_dir` (``$HEDGE_CACHE``, else beside the snapshot
store).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from marketdata.cleaning import CleaningRules
    from marketdata.snapshot import MarketSnapshot

#: Bump when the analysis results change meaning without a source change that the code hash sees.
ANALYSIS_VERSION = "3"
#: Snapshot folders kept; the least recently written beyond this are removed.
MAX_SNAPSHOTS = 32
_META = "__meta__"
_ROOT = Path(__file__).resolve().parents[1]
_MARKETDATA_SOURCES = (
    "analysis.py",
    "analysis_cache.py",
    "cleaning.py",
    "forward.py",
    "dividends.py",
    "calendar.py",
    "rates.py",
    "snapshot.py",
)


@functools.cache
def code_version() -> str:
    """A SHA-256 (hex) of the analysis code: :data:`ANALYSIS_VERSION`, the source of the
    ``marketdata`` analysis modules and of every ``pricing`` module, and the numpy, scipy and
    pandas versions (computed once per process, about a millisecond)."""
    import pandas as pd
    import scipy

    h = hashlib.sha256()
    h.update(f"{ANALYSIS_VERSION}|{np.__version__}|{scipy.__version__}|{pd.__version__}".encode())
    files = [_ROOT / "marketdata" / name for name in _MARKETDATA_SOURCES]
    files += sorted((_ROOT / "pricing").rglob("*.py"))
    for path in files:
        h.update(str(path.relative_to(_ROOT)).encode())
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()


def rules_token(rules: CleaningRules | None) -> str:
    """A stable text of the cleaning rules (default rules when None)."""
    from marketdata.cleaning import CleaningRules

    r = rules or CleaningRules()
    return json.dumps(
        [
            r.stale_after_seconds,
            [list(t) for t in r.max_spread_pct],
            r.intrinsic_tolerance,
            sorted(r.blocking_flags),
        ]
    )


def snapshot_key(snapshot: MarketSnapshot, rules: CleaningRules | None = None) -> str:
    """The content key (SHA-256 hex) of ``snapshot`` as the analysis sees it: a hash of every
    cell of the chain frame (row order included) and of its column names and types, the
    underlying, source, spot, ``as_of``, rate curve, dividend forecast, cleaning rules and
    :func:`code_version`."""
    import pandas as pd

    frame = snapshot.chain.frame
    h = hashlib.sha256()
    h.update(code_version().encode())
    h.update(rules_token(rules).encode())
    h.update(json.dumps([str(c) for c in frame.columns]).encode())
    h.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    if len(frame):
        cells = pd.util.hash_pandas_object(frame, index=False, categorize=False).to_numpy(
            dtype=np.uint64
        )
        h.update(np.ascontiguousarray(cells).tobytes())
    curve = snapshot.rate_curve
    divs = snapshot.dividends
    h.update(
        json.dumps(
            [
                snapshot.underlying,
                snapshot.source,
                repr(float(snapshot.spot)),
                snapshot.as_of.isoformat(),
                [repr(float(x)) for x in curve.tenors_years],
                [repr(float(x)) for x in curve.zero_rates],
                [d.isoformat() for d in divs.ex_dates],
                [repr(float(x)) for x in divs.amounts],
            ]
        ).encode()
    )
    return h.hexdigest()


class AnalysisCache:
    """Entries (named arrays plus a JSON-able dict) under ``root/<snapshot key>/<name>.npz``.

    Best effort: a failed write is skipped silently (the result is still returned to the caller)
    and an unreadable entry reads as missing."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str, name: str) -> Path:
        return self.root / key / f"{name}.npz"

    def load(self, key: str, name: str) -> tuple[dict[str, NDArray[Any]], dict[str, Any]] | None:
        """The arrays and the dict stored under ``(key, name)``, or None if absent or unreadable
        (a corrupt file is removed so that the next write replaces it cleanly)."""
        path = self._path(key, name)
        if not path.is_file():
            return None
        try:
            with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as data:
                arrays = {k: np.asarray(data[k]) for k in data.files}
            meta = json.loads(str(arrays.pop(_META)[()]))
            if not isinstance(meta, dict) or meta.get("key") != key or meta.get("name") != name:
                raise ValueError("cache entry for another key")
        except Exception:  # any unreadable entry: ignore it, it will be rebuilt
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):  # recently used: pruned last
            os.utime(path.parent)
        return arrays, meta

    def save(
        self, key: str, name: str, arrays: dict[str, NDArray[Any]], meta: dict[str, Any]
    ) -> bool:
        """Write an entry atomically (temporary file + :func:`os.replace`); True if written.
        Arrays must be plain (numbers, booleans or fixed-width text): no object arrays."""
        folder = self.root / key
        try:
            fresh = not folder.is_dir()
            folder.mkdir(parents=True, exist_ok=True)
            payload = {k: np.asarray(v) for k, v in arrays.items()}
            if any(v.dtype == object for v in payload.values()):
                raise TypeError("object arrays are not cached")
            payload[_META] = np.array(json.dumps({**meta, "key": key, "name": name}))
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    np.savez(handle, allow_pickle=False, **payload)  # type: ignore[arg-type]
                os.replace(tmp, self._path(key, name))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            if fresh:
                self._prune(keep=key)
            return True
        except (OSError, TypeError, ValueError):
            return False

    def _prune(self, keep: str) -> None:
        """Remove the least recently used (written or read) snapshot folders beyond
        :data:`MAX_SNAPSHOTS`."""
        try:
            folders = [p for p in self.root.iterdir() if p.is_dir() and p.name != keep]
        except OSError:
            return
        if len(folders) < MAX_SNAPSHOTS:
            return

        def mtime(p: Path) -> float:
            try:
                return p.stat().st_mtime
            except OSError:
                return 0.0

        folders.sort(key=mtime)
        for old in folders[: len(folders) - MAX_SNAPSHOTS + 1]:
            shutil.rmtree(old, ignore_errors=True)

    def clear(self) -> None:
        """Remove every cached entry (the root folder itself stays)."""
        if self.root.is_dir():
            for p in self.root.iterdir():
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)


def default_cache() -> AnalysisCache | None:
    """The cache at :func:`marketdata.paths.resolve_cache_dir`, or None when disabled
    (``HEDGE_CACHE=off``)."""
    from marketdata.paths import resolve_cache_dir

    root = resolve_cache_dir()
    return None if root is None else AnalysisCache(root)
