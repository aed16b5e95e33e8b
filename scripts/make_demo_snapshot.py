#!/usr/bin/env python3
"""Write the bundled SYNTHETIC demo snapshot (IWM, RUT, MRUT, SPY as of 2026-11-20 16:15 ET).

    python scripts/make_demo_snapshot.py            # into marketdata/data/
    python scripts/make_demo_snapshot.py --out DIR  # anywhere else (the tests compare bytes)
    python scripts/make_demo_snapshot.py --check    # exit 1 if the bundled files are stale

The files are reproducible byte for byte: fixed as-of and seed, explicit number formats, no
timestamps. The model and its parameters live in ``marketdata/demo_model.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from marketdata import demo_model  # noqa: E402

DEFAULT_OUT = ROOT / "marketdata" / "data"


def main(argv: list[str] | None = None) -> int:
    """Generate the bundle; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--check", action="store_true", help="compare with --out instead of writing"
    )
    args = parser.parse_args(argv)
    files = demo_model.build_bundle()
    out: Path = args.out
    if args.check:
        stale = [
            name
            for name, data in files.items()
            if not (out / name).is_file() or (out / name).read_bytes() != data
        ]
        for name in stale:
            print(f"stale: {out / name}", file=sys.stderr)
        return 1 if stale else 0
    out.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(files.items()):
        (out / name).write_bytes(data)
        print(f"wrote {out / name} ({len(data):,} bytes)")
    meta_models = {
        line for line in files[demo_model.META_FILE].decode().splitlines() if "standin" in line
    }
    if meta_models:
        print(
            "note: pricing.american_price is not implemented yet; IWM/SPY were priced with the "
            "European stand-in. Regenerate once it lands.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
