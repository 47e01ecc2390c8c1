"""Server-side latency of SystemEditor actions (budget: widget update <= 50 ms).

Each figure is the median of 20 repetitions of one front-end message handled by
``SystemEditor._handle_custom_msg`` (no browser): the time from the message to the new
System set on ``.system`` (observers notified) and the synced traits updated.

Run: ``python benchmarks/bench_editor.py``
"""

from __future__ import annotations

import statistics
import time

REPEATS = 20


def _median_ms(fn, repeats=REPEATS):
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def bench_editor(repeats: int = REPEATS) -> dict:
    """Median milliseconds per editor action on the pile-up-200 system."""
    import twidgets
    from twidgets.widgets.editor import SystemEditor

    system = twidgets.load_system("cms-hllhc-pu200")
    editor = SystemEditor(system)
    received = []
    editor.observe(lambda change: received.append(change["new"]), "system")

    def valid_edit(i):
        editor._handle_custom_msg(
            {"type": "edit", "table": "detectors", "row": 0, "column": "Data (bytes)", "value": str(1_000_000 + i)}, []
        )

    def stage_edit(i):
        editor._handle_custom_msg(
            {"type": "edit", "table": "stages", "row": 4, "column": "Reduction Ratio", "value": str(50 + i)}, []
        )

    def invalid_edit(i):
        editor._handle_custom_msg(
            {
                "type": "edit",
                "table": "stages",
                "row": 4,
                "column": "Reduction Ratio",
                "value": "0.5" if i % 2 == 0 else "abc",
            },
            [],
        )

    def rename(i):
        editor._handle_custom_msg(
            {"type": "edit", "table": "stages", "row": 0, "column": "Name", "value": f"Tracking {i}"}, []
        )

    def edit_and_evaluate(i):
        valid_edit(i + 1000)
        twidgets.evaluate(editor.system)

    data = editor.to_xlsx_bytes()

    def upload(i):
        editor._handle_custom_msg({"type": "upload", "name": "pu200.xlsx", "size": len(data)}, [data])

    twidgets.evaluate(system)  # warm the classifier cache once
    out = {
        "edit detector Data (bytes) -> new System": _median_ms(valid_edit, repeats),
        "edit stage Reduction Ratio -> new System": _median_ms(stage_edit, repeats),
        "invalid edit -> errors shown": _median_ms(invalid_edit, repeats),
        "rename stage (references follow)": _median_ms(rename, repeats),
        "edit + evaluate(new System)": _median_ms(edit_and_evaluate, repeats),
        "upload 1 workbook": _median_ms(upload, max(5, repeats // 4)),
        "download (.xlsx bytes)": _median_ms(lambda i: editor.to_xlsx_bytes(), max(5, repeats // 4)),
    }
    assert received, "the edits produced no new System"
    return out


def main():
    print(f"SystemEditor server-side latency, median of {REPEATS} (budget 50 ms per user action)")
    for label, ms in bench_editor().items():
        print(f"  {label:<45s} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
