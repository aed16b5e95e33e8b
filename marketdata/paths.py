"""Where the program keeps its files: the snapshot store under the platform's user data folder
(``platformdirs.user_data_dir("smallcap-hedge")``), overridable by the ``--store PATH`` flag and
the ``HEDGE_STORE`` environment variable (the flag wins); the chain-analysis cache beside it
(``analysis-cache``), or where ``HEDGE_CACHE`` says. Caches of the libraries we drive (yfinance's
cookie and time-zone databases, matplotlib's font list) live in ``cache/`` beside the store
(:func:`cache_dir`), so nothing is written outside the configured folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "smallcap-hedge"
STORE_ENV = "HEDGE_STORE"
STORE_FILENAME = "snapshots.sqlite3"


def user_data_dir() -> Path:
    """The platform's per-user data folder for this program (not created here)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def resolve_store_path(
    flag: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """The snapshot store file: ``flag`` if given, else ``$HEDGE_STORE``, else
    ``<user data dir>/snapshots.sqlite3``.

    A value naming an existing folder (or ending in a path separator) means the file
    ``snapshots.sqlite3`` inside it; ``~`` is expanded. Nothing is created here.
    """
    env = os.environ if environ is None else environ
    raw: str | None = None
    if flag is not None and str(flag).strip():
        raw = os.fspath(flag)
    elif env.get(STORE_ENV, "").strip():
        raw = env[STORE_ENV]
    if raw is None:
        return user_data_dir() / STORE_FILENAME
    path = Path(raw.strip()).expanduser()
    if raw.strip().endswith(("/", os.sep)) or path.is_dir():
        return path / STORE_FILENAME
    return path


CACHE_ENV = "HEDGE_CACHE"
CACHE_DIRNAME = "analysis-cache"
_CACHE_OFF = ("off", "none", "0", "false", "no")


def resolve_cache_dir(*, environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder of the chain-analysis cache (:mod:`marketdata.analysis_cache`):
    ``$HEDGE_CACHE`` if set (``off``/``none``/``0`` disables the cache: None), else the folder
    ``analysis-cache`` beside the snapshot store (:func:`resolve_store_path`, so ``HEDGE_STORE``
    moves both). Nothing is created here."""
    env = os.environ if environ is None else environ
    raw = env.get(CACHE_ENV, "").strip()
    if raw:
        if raw.lower() in _CACHE_OFF:
            return None
        return Path(raw).expanduser()
    return resolve_store_path(environ=env).parent / CACHE_DIRNAME


CACHE_FOLDER = "cache"


def cache_dir(
    flag: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """The folder for third-party caches: ``cache/`` in the folder of the store file that
    :func:`resolve_store_path` gives for the same ``flag`` and environment (not created here)."""
    return resolve_store_path(flag, environ=environ).parent / CACHE_FOLDER
