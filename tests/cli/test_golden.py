"""Every verb's output is byte for byte what it was before the verbs moved onto the shared core
(issue 8): exit code, stdout, stderr, and the files they write. (The ``hedge fetch`` recordings
were made with the pre-refactor tree, commit 7371492, and the same recorder.) The cases and the recorder live
in :mod:`tests.cli.golden_cases`; the recordings in ``tests/cli/golden/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.golden_cases import CASES, FETCH_CASES, GOLDEN_DIR, run_case, run_fetch_case


@pytest.mark.parametrize("name", list(CASES))
def test_verb_output_is_unchanged(name: str, tmp_path: Path) -> None:
    expected = (GOLDEN_DIR / f"{name}.txt").read_text(encoding="utf-8")
    assert run_case(name, tmp_path) == expected


@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray that drops timezone")
@pytest.mark.parametrize("name", list(FETCH_CASES))
def test_fetch_output_is_unchanged(name: str, tmp_path: Path) -> None:
    expected = (GOLDEN_DIR / f"{name}.txt").read_text(encoding="utf-8")
    assert run_fetch_case(name, tmp_path) == expected


def test_every_recording_has_a_case() -> None:
    recorded = {p.stem for p in GOLDEN_DIR.glob("*.txt")}
    assert recorded == set(CASES) | set(FETCH_CASES)
