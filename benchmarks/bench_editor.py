"""Server-side latency of SystemEditor actions (budget: widget update <= 50 ms).

Each figure is the median of 20 repetitions of one front-end command (the message
anywidget's ``experimental.invoke`` sends) handled by ``SystemEditor._handle_custom_msg``
(no browser): the time from the message to the new System set on ``.system`` (observers
notified), the synced traits updated and the answer sent. The anchor, measured in the same
process, is one ``System.from_frames`` of the same tables (the model's own validation).

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
    answers = []
    editor.send = lambda content, buffers=None: answers.append(content)  # no front end: keep the answers

    def command(name, msg, buffers=()):
        editor._handle_custom_msg({"id": "b", "kind": "anywidget-command", "name": name, "msg": msg}, list(buffers))

    def valid_edit(i):
        command("_on_edit", {"table": "detectors", "row": 0, "column": "Data (bytes)", "value": str(1_000_000 + i)})

    def stage_edit(i):
        command("_on_edit", {"table": "stages", "row": 4, "column": "Reduction Ratio", "value": str(50 + i)})

    def invalid_edit(i):
        value = "0.5" if i % 2 == 0 else "abc"
        command("_on_edit", {"table": "stages", "row": 4, "column": "Reduction Ratio", "value": value})

    def rename(i):
        command("_on_edit", {"table": "stages", "row": 0, "column": "Name", "value": f"Tracking {i}"})

    def edit_and_evaluate(i):
        valid_edit(i + 1000)
        twidgets.evaluate(editor.system)

    data = editor.to_xlsx_bytes()

    def upload(i):
        command("_on_upload", {"name": "pu200.xlsx", "size": len(data)}, [data])

    def anchor(i):
        twidgets.System.from_frames(system.detectors, system.stages, system.globals, curves=system.curves)

    twidgets.evaluate(system)  # warm the classifier cache once
    out = {
        "anchor: System.from_frames (model validation)": _median_ms(anchor, repeats),
        "edit detector Data (bytes) -> new System": _median_ms(valid_edit, repeats),
        "edit stage Reduction Ratio -> new System": _median_ms(stage_edit, repeats),
        "invalid edit -> errors shown": _median_ms(invalid_edit, repeats),
        "rename stage (references follow)": _median_ms(rename, repeats),
        "edit + evaluate(new System)": _median_ms(edit_and_evaluate, repeats),
        "upload 1 workbook": _median_ms(upload, max(5, repeats // 4)),
        "download (.xlsx bytes)": _median_ms(lambda i: editor.to_xlsx_bytes(), max(5, repeats // 4)),
    }
    assert received, "the edits produced no new System"
    assert answers and all(a["kind"] == "anywidget-command-response" for a in answers)
    return out


def main():
    print(f"SystemEditor server-side latency, median of {REPEATS} (budget 50 ms per user action)")
    for label, ms in bench_editor().items():
        print(f"  {label:<45s} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
