"""Time and memory of the workbook reader, side by side with openpyxl's own load.

Workbooks: the bundled ``cms-hllhc-pu200`` and the largest legitimate workbook the
limits allow (10,000 detector rows, ``MAX_ROWS``, fed into the pile-up-200 stages).
For each, in the same process: the bounded reader alone (``read_tables``), a full
``System.from_xlsx`` (reader + validation), and the anchor, ``openpyxl.load_workbook``
(read-only, cached values) iterating every cell. Medians of time; peak Python memory
of one run (``tracemalloc``).

Run: ``python benchmarks/bench_reader.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import tracemalloc


def largest_workbook() -> bytes:
    """The pile-up-200 system with MAX_ROWS detector rows (valid: every one feeds a stage)."""
    import twidgets
    from twidgets.model.io import MAX_ROWS

    s = twidgets.load_system("cms-hllhc-pu200")
    det = s.detectors
    rows = [det.iloc[i % len(det)].tolist() for i in range(MAX_ROWS)]
    for i, r in enumerate(rows):
        r[1] = f"Detector {i:05d}"
    det = det.__class__(rows, columns=det.columns)
    big = twidgets.System.from_frames(det, s.stages, s.globals)
    out = io.BytesIO()
    big.to_xlsx(out)
    return out.getvalue()


def openpyxl_anchor(data: bytes) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for ws in wb.worksheets:
        for _row in ws.iter_rows(values_only=True):
            pass
    wb.close()


def measure(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    import twidgets
    from twidgets.model.io import bundled_path
    from twidgets.model.workbook import read_tables

    books = {"pu200 (bundled)": bundled_path("cms-hllhc-pu200").read_bytes(), "10,000 detectors": largest_workbook()}
    print(f"{'workbook / operation':52s} {'median':>10s} {'peak mem':>10s}")
    for label, data in books.items():
        print(f"{label} ({len(data) / 1024:.0f} KB)")
        for name, fn in (
            ("twidgets reader (read_tables)", lambda d=data: read_tables(d)),
            ("twidgets System.from_xlsx (read + validate)", lambda d=data: twidgets.System.from_xlsx(d)),
            ("anchor: openpyxl read-only load, every cell", lambda d=data: openpyxl_anchor(d)),
        ):
            t, peak = measure(fn, args.repeat)
            print(f"  {name:50s} {t * 1e3:8.1f}ms {peak / 2**20:8.1f}MiB")


if __name__ == "__main__":
    main()
