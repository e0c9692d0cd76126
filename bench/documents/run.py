"""Page inspection cost: sniff + hash + measure + thumbnail, against hashing the same bytes alone.

Inspection runs once per page in the ingestion function and the workflow's ingest step; what matters is how
far it stays from the floor of reading the bytes once (SHA-256). Also shows what JPEG draft decoding saves
(the thumbnail decoded at 1/8 scale instead of full size). Goal: a 12-megapixel phone photo inspected in under
25x the time of hashing it, and under 1 s.

    python bench/documents/run.py [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "layers" / "common"))

from PIL import Image  # noqa: E402
from pypdf import PdfWriter  # noqa: E402

from arbiter.services import page_inspection  # noqa: E402

GOAL_RATIO = 25.0
GOAL_SECONDS = 1.0


def photo(width: int, height: int, fmt: str) -> bytes:
    """A noisy image (like a photo: it does not compress to nothing)."""
    image = Image.effect_noise((width, height), 64).convert("RGB")
    out = io.BytesIO()
    image.save(out, format=fmt, quality=90) if fmt == "JPEG" else image.save(out, format=fmt)
    return out.getvalue()


def pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def median_ms(work: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def without_draft(data: bytes) -> bytes:
    """The thumbnail made from a full decode (what inspection would cost without `draft`)."""
    with Image.open(io.BytesIO(data)) as image:
        copy = image.convert("RGB")
        copy.thumbnail(page_inspection.THUMBNAIL_SIZE)
        out = io.BytesIO()
        copy.save(out, format="JPEG", quality=80)
        return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    samples = {
        "JPEG 4000x3000 (12 MP photo)": photo(4000, 3000, "JPEG"),
        "JPEG 1600x1200": photo(1600, 1200, "JPEG"),
        "PNG 1600x1200": photo(1600, 1200, "PNG"),
        "PDF 20 pages": pdf(20),
    }
    print(f"{'page':32} {'bytes':>10} {'sha256 ms':>10} {'inspect ms':>11} {'ratio':>7}")
    worst_photo = 0.0
    for name, data in samples.items():
        assert page_inspection.inspect_page(data, max_bytes=50_000_000).accepted, name
        floor = median_ms(lambda data=data: hashlib.sha256(data).hexdigest(), runs)
        inspect = median_ms(lambda data=data: page_inspection.inspect_page(data, max_bytes=50_000_000), runs)
        ratio = inspect / floor if floor else float("inf")
        print(f"{name:32} {len(data):>10} {floor:>10.1f} {inspect:>11.1f} {ratio:>6.1f}x")
        if name.startswith("JPEG 4000"):
            worst_photo = inspect
            photo_ratio = ratio
    big = samples["JPEG 4000x3000 (12 MP photo)"]
    full = median_ms(lambda: without_draft(big), runs)
    print(
        f"\nthumbnail of the 12 MP JPEG: full decode {full:.1f} ms; inspection with draft {worst_photo:.1f} ms "
        f"({full / worst_photo:.1f}x faster)"
    )
    ok = photo_ratio <= GOAL_RATIO and worst_photo <= GOAL_SECONDS * 1000
    print(
        f"goal: 12 MP photo <= {GOAL_RATIO:g}x sha256 and <= {GOAL_SECONDS:g} s -> {'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
