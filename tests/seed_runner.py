"""Run the seed analysis (``../shared/seed/workflow.py``) on top of :mod:`twidgets.compat`.

Used by ``tests/test_compat.py`` and ``benchmarks/bench_compat.py``; not part of the
product (the package never needs ``../shared``).

* :func:`seed_path` finds the script beside the repository (``<repo>/../shared/seed``)
  or at ``$TWIDGETS_SEED_WORKFLOW``, and fails loudly when it is absent;
* :func:`write_workbooks` writes the three files the seed reads, from the bundled data
  and the project's wall-time model;
* :func:`split_cells` cuts the script at its ``# %% In [..]`` markers;
* :func:`run_cells` executes the cells in one namespace, with only the first cell
  replaced by :data:`FIRST_CELL`, figures never shown, cwd = the workbook folder.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

import twidgets
from twidgets.model.complexity import parse_complexity

REPO = Path(__file__).resolve().parents[1]

#: The one cell that changes: the seed imported ``graph``, ``models`` and ``metrics``.
FIRST_CELL = """\
from twidgets.compat import *
import numpy as np
import pandas as pd
from scipy.optimize import curve_fit
import plotly.graph_objects as go
"""

#: Workbook file name the seed reads -> bundled system it is written from.
WORKBOOKS = {"cms_system_200.xlsx": "cms-hllhc-pu200", "cms_system_200_smartpx.xlsx": "cms-hllhc-pu200-smartpx"}
#: Bundled systems at three pile-ups; the wall-time table interpolates between them.
WALL_TIME_PILEUPS = {60: "cms-run3-pu60", 140: "cms-hllhc-pu140", 200: "cms-hllhc-pu200"}
WALL_TIME_FILE = "wall time scaling.xlsx"

_MARKER = re.compile(r"^# %% In \[([^\]]*)\]\s*$", re.MULTILINE)


def seed_path() -> Path:
    """Path of the seed workflow script; raises FileNotFoundError (with how to fix it) if absent."""
    env = os.environ.get("TWIDGETS_SEED_WORKFLOW")
    path = Path(env) if env else REPO.parent / "shared" / "seed" / "workflow.py"
    if not path.is_file():
        raise FileNotFoundError(
            f"the seed workflow is missing: expected {path} (the shared folder must sit beside the repository, "
            "as ../shared/seed/workflow.py, or set TWIDGETS_SEED_WORKFLOW to the script's path)"
        )
    return path


def split_cells(text: str) -> list[tuple[str, str]]:
    """``[(label, code), ...]`` for every ``# %% In [label]`` cell of the script, in order."""
    marks = list(_MARKER.finditer(text))
    if not marks:
        raise ValueError("no '# %% In [..]' cell markers found in the seed script")
    cells = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        cells.append((m.group(1).strip(), text[m.end() : end]))
    return cells


def wall_time_table() -> pd.DataFrame:
    """HLT wall time (s) per event size (bytes) from the project's CPU and GPU models.

    Event sizes are the HLT ("Global") input message sizes of the bundled systems at
    pile-up 60, 140 and 200, and linear interpolations between them every 20 pile-up.
    (Some sizes are fractional, so pandas reads the column as float: the seed's
    ``x ** 3`` would overflow int64 on whole-number byte counts.)
    """
    known = {
        pu: twidgets.evaluate(twidgets.load_system(name)).value("Global", "message_bytes")
        for pu, name in WALL_TIME_PILEUPS.items()
    }
    pileups = np.arange(60, 201, 20)
    sizes = np.interp(pileups, list(known), list(known.values()))
    return pd.DataFrame(
        {
            "Pileup": pileups,
            "Size": sizes,
            "Wall Time": parse_complexity("hlt-cpu")(sizes),
            "Wall Time GPU": parse_complexity("hlt-gpu")(sizes),
        }
    )


def write_workbooks(folder) -> Path:
    """Write ``cms_system_200.xlsx``, ``cms_system_200_smartpx.xlsx`` and ``wall time scaling.xlsx``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for filename, name in WORKBOOKS.items():
        twidgets.load_system(name).to_xlsx(folder / filename)
    with pd.ExcelWriter(folder / WALL_TIME_FILE, engine="openpyxl") as writer:
        wall_time_table().to_excel(writer, sheet_name="Data", index=False)
    sizes = pd.read_excel(folder / WALL_TIME_FILE, sheet_name="Data")["Size"]
    if sizes.dtype.kind != "f":
        raise AssertionError(
            f"{WALL_TIME_FILE}: Size is read back as {sizes.dtype}; it must be float or the seed's cubic overflows"
        )
    return folder


def _modern_layout(layout: dict) -> dict:
    """Translate the legacy ``titlefont`` property (removed in plotly 6) to ``title.font``."""
    out = {}
    for key, value in layout.items():
        if isinstance(value, dict):
            value = _modern_layout(value)
        if key == "titlefont":
            title = out.get("title", layout.get("title"))
            title = dict(title) if isinstance(title, dict) else {"text": title}
            title["font"] = value
            out["title"] = title
            continue
        if key == "title" and isinstance(out.get("title"), dict) and "font" in out["title"]:
            continue  # already merged with its font
        out[key] = value
    return out


@contextlib.contextmanager
def _quiet_plotly(figures: list):
    """Figures are collected instead of shown; legacy layout keys are translated."""
    import plotly.graph_objects as go

    show, update_layout = go.Figure.show, go.Figure.update_layout

    def collect(self, *args, **kwargs):
        figures.append(self)

    def modern_update_layout(self, dict1=None, overwrite=False, **kwargs):
        dict1 = _modern_layout(dict1) if isinstance(dict1, dict) else dict1
        return update_layout(self, dict1, overwrite, **_modern_layout(kwargs))

    go.Figure.show = collect
    go.Figure.update_layout = modern_update_layout
    try:
        yield
    finally:
        go.Figure.show, go.Figure.update_layout = show, update_layout


@contextlib.contextmanager
def _cwd(folder):
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def run_cells(folder, cells=None, *, until: str | None = None, namespace: dict | None = None) -> dict:
    """Execute the seed's cells (first one replaced) in ``folder``; return the namespace.

    ``until``: stop after the cell with this label (e.g. ``"84"``); default all cells.
    Figures passed to ``fig.show()`` are collected in ``namespace["_figures"]``.
    A failing cell raises RuntimeError naming the cell.
    """
    if cells is None:
        cells = split_cells(seed_path().read_text())
    ns = {"__name__": "seed_workflow"} if namespace is None else namespace
    figures = ns.setdefault("_figures", [])
    with _cwd(folder), _quiet_plotly(figures):
        for i, (label, code) in enumerate(cells):
            source = FIRST_CELL if i == 0 else code
            try:
                exec(compile(source, f"<seed cell In [{label}]>", "exec"), ns)
            except Exception as e:
                raise RuntimeError(f"seed cell In [{label}] failed: {type(e).__name__}: {e}") from e
            if until is not None and label == until:
                break
    return ns
