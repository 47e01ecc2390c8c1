"""Generate the project's notebooks with nbformat, so their sources stay reviewable here.

    python scripts/make_notebooks.py            # write every notebook (sources only, no outputs)
    python scripts/make_notebooks.py --execute  # also execute the notebooks kept WITH outputs
    python scripts/make_notebooks.py --check    # exit 1 if a notebook on disk differs from this script

Notebooks written: ``notebooks/01-quickstart.ipynb``, ``notebooks/02-reproduce-the-paper.ipynb``,
``notebooks/03-design-your-own.ipynb``, ``notebooks/app.ipynb`` and the copy of the app shipped
in the package, ``twidgets/app_notebook/app.ipynb``. (``notebooks/04-seed-workflow.ipynb`` is
written by hand elsewhere and not touched.)

``02-reproduce-the-paper.ipynb`` is committed with its outputs (static PNG figures rendered
with matplotlib), so GitHub's notebook viewer shows the figures; ``--execute`` refreshes them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nb(cells) -> nbformat.NotebookNode:
    out = []
    for kind, text in cells:
        text = text.strip("\n")
        out.append(new_markdown_cell(text) if kind == "md" else new_code_cell(text))
    nb = new_notebook(cells=out, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    # stable ids keep regenerated notebooks byte-identical
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def md(text):
    return ("md", text)


def code(text):
    return ("code", text)


# --------------------------------------------------------------------------------------------
APP = [
    code("""
import os

import twidgets
from twidgets.app_page import page_query_string
from twidgets.widgets import Dashboard

# `twidgets app SYSTEM` passes the system (bundled name or absolute .xlsx path) in TWIDGETS_SYSTEM.
# A preheated kernel (`twidgets app --preheat N`) runs this cell before any visitor arrives.
system = twidgets.load_system(os.environ.get("TWIDGETS_SYSTEM", "cms-hllhc-pu200"))
ready = Dashboard(system=system)
"""),
    code("""
# The page's query string (a deep link: ?system=...&Intermediate.reduction_ratio=100&tab=explore);
# a preheated kernel waits here until its visitor comes. What the link names wins; what it gets
# wrong is named on the page and ignored.
query = page_query_string()
Dashboard.from_query(query, system=system) if query else ready
"""),
]


QUICKSTART = [
    md("""
# twidgets quick start

Load one of the bundled CMS configurations, evaluate it, then explore it in the dashboard.
Powers are in W (MW below), rates in events/s, productivity in relevant events stored per kJ.
"""),
    code("""
import twidgets

twidgets.list_systems()
"""),
    code("""
system = twidgets.load_system("cms-hllhc-pu200")   # CMS at the HL-LHC, pile-up 200
system.detectors.head()
"""),
    code("""
system.stages
"""),
    md("""
One evaluation propagates 40 MHz of bunch crossings through the trigger stages and reports
power, the pipeline's confusion matrix and its selection quality:
"""),
    code("""
ev = twidgets.evaluate(system, seed=0)
print(f"power {ev.power / 1e6:.1f} MW today, {ev.scaled_power / 1e6:.2f} MW with {ev.year} technology")
print(f"F1 {ev.f1:.3f}, productivity {ev.productivity_per_kJ:.3f} relevant events / kJ")
ev.stages.loc[system.stage_names, ["input_rate", "output_rate", "message_bytes", "op_power", "link_power"]]
"""),
    md("""
Parameters are named `"Stage.param"`; overriding them never changes `system` (it is immutable).
Arrays broadcast, so a whole grid is one call:
"""),
    code("""
import numpy as np

tracks = twidgets.evaluate(system, {"Intermediate.skill_boost": 0.4})    # L1 tracking
print(f"with L1 tracking: F1 {tracks.f1:.3f}")
grid = twidgets.evaluate(system, {"Intermediate.reduction_ratio": np.linspace(450, 40, 101)[None, :],
                                  "Intermediate.skill_boost": np.linspace(0, 1, 101)[:, None]})
grid.f1.shape
"""),
    md("""
The dashboard links the system editor, the stage inspector, the sweep explorer and a flow view.
Edit a cell, move a slider or click the map:
"""),
    code("""
from twidgets.widgets import Dashboard

Dashboard(system=system)
"""),
    md("""
Next: `02-reproduce-the-paper.ipynb` (the published study), `03-design-your-own.ipynb`
(a new system from scratch), or `twidgets app` for the same dashboard as a Voila app.
"""),
]


PAPER = [
    md("""
# Reproduce the paper

Olin-Ammentorp, Wu and Chien, *Modeling Performance of Data Collection Systems for High-Energy
Physics* (APL Machine Learning 2(4):046113, 2024) model the CMS trigger at the HL-LHC. This
notebook redoes the study with the twidgets API: the five scenarios, the 101 x 101 sweep of the
Level-1 (L1T) reduction ratio against the L1T skill, the nine published variants beside the
published headline, uncertainty from Monte-Carlo repeats and a sensitivity (tornado) chart.

Figures are drawn with matplotlib so they also show as images where widgets do not run
(GitHub); the live, interactive explorer is at the end. Units: power in MW at the technology of
2032, productivity in relevant events stored per kJ.
"""),
    code("""
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import twidgets
from twidgets.cms.scenarios import PAPER_YEAR, PUBLISHED, SCENARIOS, paper_table, scenario, scenario_table

plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (7.5, 5), "axes.grid": False})
pd.set_option("display.precision", 4)
SEED = 0
"""),
    md("""
## The five scenarios

All at pile-up 200. The HLT runs on CPUs or GPUs, the L1T keeps 1 event in 400 (Phase-1) or in
53.3 (Phase-2), L1 tracking raises the L1T skill by 0.4, and smart sensors reduce the Inner
Tracker payload on the detector.
"""),
    code("""
pd.DataFrame([{"scenario": s.name, "system": s.system, "L1 RR": s.l1_rr, "skill boost": s.skill_boost,
               "HLT": "GPU" if s.gpu_hlt else "CPU", "what": s.description} for s in SCENARIOS])
"""),
    code("""
scenarios = scenario_table(seed=SEED)
scenarios
"""),
    md("""
## The 101 x 101 sweep: L1T reduction ratio x L1T skill boost

As in the seed analysis: the pile-up-200 system with a CPU HLT, the L1T reduction ratio from
450 down to 40 and the skill boost from 0 to 1. One call of `twidgets.sweep`, vectorised.
"""),
    code("""
system = twidgets.load_system("cms-hllhc-pu200")
l1_rr = np.linspace(450, 40, 101)
boost = np.linspace(0, 1, 101)
res = twidgets.sweep(system, {"Intermediate.skill_boost": boost, "Intermediate.reduction_ratio": l1_rr},
                     seed=SEED, progress=False)
print(f"{res.shape} grid in {res.provenance['seconds']:.2f} s")
"""),
    code("""
MARKERS = {"circle": "o", "square": "s", "cross": "P", "star": "*", "diamond": "D"}
ON_MAP = [s for s in SCENARIOS if s.system == "cms-hllhc-pu200"]   # the swept configuration


def contour_map(z, title, label, fmt="%.3g", labels=True):
    \"\"\"A labelled contour map over (L1 RR, skill boost) with the scenarios marked (RR axis reversed).\"\"\"
    fig, ax = plt.subplots(figsize=(7.5, 5.6))
    filled = ax.contourf(l1_rr, boost, z, levels=16, cmap="viridis")
    if labels:
        lines = ax.contour(l1_rr, boost, z, levels=filled.levels[1::3], colors="white", linewidths=0.7)
        ax.clabel(lines, fmt=fmt, fontsize=8)
    fig.colorbar(filled, ax=ax, label=label)
    for s in ON_MAP:
        ax.plot(s.l1_rr, s.skill_boost + 0.012, MARKERS[s.marker], ms=11, color="0.8", mec="black", label=s.name)
    ax.set(xlim=(450, 40), ylim=(0, 0.8), xlabel="L1T reduction ratio", ylabel="L1T skill boost", title=title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    plt.show()
"""),
    code("""
contour_map(res.smoothed("f1", sigma=3), "F1 score by L1T skill & reduction ratio", "F1")
"""),
    code("""
contour_map(res.smoothed("productivity", sigma=3) * 1e3,
            "Productivity by L1T skill & reduction ratio (pile-up 200)", "relevant events / kJ")
"""),
    code("""
contour_map(res.metric("scaled_power") / 1e6, f"Power by L1T skill & reduction ratio ({PAPER_YEAR} technology)",
            "MW", labels=False)
"""),
    md("""
Passing more events to the HLT (lower L1 reduction ratio) raises F1 but costs HLT power; a more
skilful L1T raises F1 at almost no power. The L1T score distributions behind it (Phase-2 point):
"""),
    code("""
ev = twidgets.evaluate(system, {"Intermediate.reduction_ratio": 53.3, "Intermediate.skill_boost": 0.4}, seed=SEED)
l1 = ev.classifier("Intermediate")
fig, ax = plt.subplots(figsize=(7.5, 3.5))
bins = np.linspace(min(l1.null_scores.min(), l1.pos_scores.min()), max(l1.null_scores.max(), l1.pos_scores.max()), 80)
ax.hist(l1.null_scores, bins=bins, alpha=0.6, label="irrelevant events")
ax.hist(l1.pos_scores, bins=bins, alpha=0.6, label="relevant events (skill boost 0.4)")
ax.axvline(float(l1.threshold), color="black", ls="--", label=f"threshold at RR 53.3 ({float(l1.threshold):.2f})")
ax.set(xlabel="L1T score", ylabel="events", title="L1T classifier scores")
ax.legend(fontsize=8)
plt.show()
"""),
    md("""
## Productivity per scenario, with Monte-Carlo uncertainty

The L1T model is a Monte-Carlo model (50,000 + 50,000 sampled events). Ten independent seeds give
the spread of each scenario's productivity (error bars: one standard deviation).
"""),
    code("""
SEEDS = range(SEED, SEED + 10)
prod = np.array([[twidgets.evaluate(twidgets.load_system(s.system), dict(s.overrides, year=PAPER_YEAR),
                                    seed=k).productivity_per_kJ for k in SEEDS] for s in SCENARIOS])
per_scenario = pd.DataFrame({"mean per kJ": prod.mean(axis=1), "std": prod.std(axis=1, ddof=1)},
                            index=[s.name for s in SCENARIOS])
fig, ax = plt.subplots(figsize=(8, 4))
ax.bar(range(len(SCENARIOS)), per_scenario["mean per kJ"], yerr=per_scenario["std"], capsize=4,
       color=["0.6", "tab:red", "tab:blue", "tab:purple", "tab:green"])
ax.set_xticks(range(len(SCENARIOS)), [s.name.replace(" (", "\\n(") for s in SCENARIOS], fontsize=8)
ax.set(ylabel="relevant events / kJ", title=f"Productivity per scenario (pile-up 200, {PAPER_YEAR} technology)")
plt.show()
per_scenario
"""),
    md("""
Uncertainty bands along the reduction-ratio axis: the sweep's `repeats` evaluates every point
with ten seeds and keeps the mean and standard deviation of each metric (band: +/- 2 sigma).
"""),
    code("""
fig, ax = plt.subplots(figsize=(7.5, 4))
for b, colour in ((0.0, "tab:blue"), (0.4, "tab:red")):
    rep = twidgets.sweep(system.with_stage("Intermediate", skill_boost=b), {"Intermediate.reduction_ratio": l1_rr},
                         repeats=10, seed=SEED, progress=False)
    mean, std = rep.metric("f1"), rep.spread("f1")
    ax.plot(l1_rr, mean, color=colour, label=f"skill boost {b}")
    ax.fill_between(l1_rr, mean - 2 * std, mean + 2 * std, color=colour, alpha=0.3)
ax.set(xlim=(450, 40), xlabel="L1T reduction ratio", ylabel="F1 (mean of 10 seeds, band +/- 2 sigma)",
       title="F1 along the L1T reduction ratio")
ax.legend()
plt.show()
"""),
    md("""
## The nine published variants and the headline

Run 3 (pile-up 60, L1 RR 400), then every combination of GPU HLT, L1 tracking and smart sensors
at pile-up 200 with the Phase-2 L1 RR of 53.3; power and productivity with 2032 technology.
"""),
    code("""
table = paper_table(seed=SEED)
table
"""),
    code("""
base, best = table.iloc[1], table.iloc[8]     # pile-up 200 baseline; GPU + L1 tracking + smart sensors
headline = pd.DataFrame({
    "published": [PUBLISHED["baseline_power_MW"], PUBLISHED["improved_power_MW"], 100 * PUBLISHED["power_change"],
                  PUBLISHED["baseline_productivity_per_kJ"], PUBLISHED["improved_productivity_per_kJ"]],
    "twidgets": [base.power_MW, best.power_MW, 100 * (best.power_MW / base.power_MW - 1),
                 base.productivity_per_kJ, best.productivity_per_kJ],
}, index=["baseline power (MW)", "improved power (MW)", "power change (%)",
          "baseline productivity (/kJ)", "improved productivity (/kJ)"])
headline.round(3)
"""),
    code("""
# the reproduction holds (power within 1 %, productivity within 5 % of the published figures)
assert abs(base.power_MW / PUBLISHED["baseline_power_MW"] - 1) < 0.01
assert abs(best.power_MW / PUBLISHED["improved_power_MW"] - 1) < 0.01
assert abs(base.productivity_per_kJ / PUBLISHED["baseline_productivity_per_kJ"] - 1) < 0.05
assert abs(best.productivity_per_kJ / PUBLISHED["improved_productivity_per_kJ"] - 1) < 0.05
"""),
    md("""
## Sensitivity (tornado) around the Phase-2 design

Each parameter moved by -10 % and +10 % (or by an absolute step where it is 0), everything else
fixed: how much does productivity move?
"""),
    code("""
phase2 = scenario("Phase-2 (L1 Tracks + GPU)").load()
sens = twidgets.sensitivity(phase2, metric="productivity", rel_step=0.1, seed=SEED).head(12)[::-1]
base_kj = sens["metric_base"].iloc[0] * 1e3
fig, ax = plt.subplots(figsize=(7.5, 5))
y = np.arange(len(sens))
ax.barh(y, (sens["metric_low"] * 1e3 - base_kj), color="tab:blue", label="parameter -10 %")
ax.barh(y, (sens["metric_high"] * 1e3 - base_kj), color="tab:orange", alpha=0.8, label="parameter +10 %")
ax.axvline(0, color="black", lw=0.8)
ax.set_yticks(y, sens["param"], fontsize=8)
ax.set(xlabel=f"change of productivity (relevant events / kJ; base {base_kj:.3f})", title="Sensitivity of productivity")
ax.legend(fontsize=8)
plt.show()
"""),
    md("""
## Explore live

The same map as an interactive widget (any metric, click a point to read it). It needs a
running kernel: it does not show on GitHub.
"""),
    code("""
from twidgets.widgets import SweepExplorer

SweepExplorer(system, x="Intermediate.reduction_ratio", y="Intermediate.skill_boost", metric="productivity",
              debounce=0)
"""),
]


DESIGN = [
    md("""
# Design your own system

A made-up future hadron collider: pile-up 1000, events five times larger than at the HL-LHC
(pile-up 200), and **three** trigger levels: a hardware Level-1 (the CMS L1T model with a skill
boost), a new software Level-2 that compresses its output, and a GPU HLT. Built in code with
`System.from_frames`, saved as a workbook, reloaded, and explored with the widgets.
"""),
    code("""
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import twidgets

hllhc = twidgets.load_system("cms-hllhc-pu200")
detectors = hllhc.detectors                      # a copy: the same 19 detectors ...
detectors["Data (bytes)"] *= 5                   # ... with five times the payload per crossing
detectors["Link Efficiency (J/bit)"] = 1e-11     # and better links
detectors.groupby("Category")["Data (bytes)"].sum() / 1e6    # MB per crossing and category
"""),
    code("""
columns = ["Name", "Output", "Data (bytes)", "Reduction Ratio", "Classifier", "Skill mean", "Skill variance",
           "Link Efficiency (J/bit)", "Op Efficiency (J/op)", "Compression", "Skill boost", "Complexity"]
nan = np.nan
stages = pd.DataFrame([
    ["Tracking",    "Level-1", 0,     1,  "Dummy",    nan, nan, 1e-11, 0,     0,   0,   ""],
    ["Timing",      "Level-1", 0,     1,  "Dummy",    nan, nan, 1e-11, 0,     0,   0,   ""],
    ["Calorimetry", "Level-1", 0,     1,  "Dummy",    nan, nan, 1e-11, 0,     0,   0,   ""],
    ["Muon",        "Level-1", 0,     1,  "Dummy",    nan, nan, 1e-11, 0,     0,   0,   ""],
    ["Level-1",     "Level-2", 500e3, 40, "L1T",      nan, nan, 1e-11, 0.001, 0,   0.3, "l1t-linear"],
    ["Level-2",     "HLT",     100e3, 10, "Gaussian", 2.5, 1.0, 1e-11, 0.5,   0.5, 0,   "poly:2e-8,1e-15"],
    ["HLT",         "Disk",    0,     25, "Gaussian", 4.0, 1.0, 1e-11, 8,     0,   0,   "hlt-gpu"],
    ["Disk",        "",        0,     1,  "Dummy",    nan, nan, 1e-11, 0,     0,   0,   ""],
], columns=columns)

future = twidgets.System.from_frames(detectors, stages, {"Year": 2045}, name="future-pu1000")
future.stage_names
"""),
    md("""
Mistakes are reported with the sheet, row and column to fix, and nothing half-built is returned:
"""),
    code("""
broken = stages.copy()
broken.loc[5, "Output"] = "Level-3"          # no such stage
try:
    twidgets.System.from_frames(detectors, broken, {"Year": 2045})
except twidgets.SpecError as err:
    print(err)
"""),
    code("""
ev = twidgets.evaluate(future, seed=0)
print(f"{ev.power / 1e6:.1f} MW today, {ev.scaled_power / 1e6:.2f} MW with {ev.year} technology; "
      f"F1 {ev.f1:.3f}; {ev.output_rate:.0f} events/s stored")
ev.stages.loc[future.stage_names, ["input_rate", "output_rate", "message_bytes", "op_power", "link_power"]]
"""),
    md("""
Save it as a workbook (the same sheets as the bundled ones: `Detectors`, `Triggers`, `Global`)
and load it back:
"""),
    code("""
workdir = Path(tempfile.mkdtemp())
path = workdir / "future-pu1000.xlsx"
future.to_xlsx(path)
again = twidgets.load_system(path)
pd.testing.assert_frame_equal(again.stages, future.stages)
pd.testing.assert_frame_equal(again.detectors, future.detectors)
assert twidgets.evaluate(again, seed=0).power == ev.power
print(f"saved and reloaded {path.name} ({path.stat().st_size / 1024:.0f} kB)")
"""),
    md("""
Where is the power going, and what does the third level buy? Sweep the Level-1 and Level-2
reduction ratios together (one vectorised call):
"""),
    code("""
res = twidgets.sweep(future, {"Level-1.reduction_ratio": np.geomspace(10, 200, 41),
                              "Level-2.reduction_ratio": np.geomspace(1, 50, 41)}, progress=False)
best = res.best("productivity")
print("most productive point:", {k: round(v, 1) for k, v in best.items()})
res.pareto("scaled_power", "f1").head()
"""),
    md("""
The widgets work on any System: the editor grid, one stage in the inspector, a sweep map.
"""),
    code("""
from twidgets.widgets import StageInspector, SweepExplorer, SystemEditor

SystemEditor(future)
"""),
    code("""
StageInspector(future, stage="Level-2")
"""),
    code("""
SweepExplorer(future, x="Level-1.reduction_ratio", y="Level-2.reduction_ratio", metric="productivity", debounce=0)
"""),
]


NOTEBOOKS = {
    "notebooks/01-quickstart.ipynb": QUICKSTART,
    "notebooks/02-reproduce-the-paper.ipynb": PAPER,
    "notebooks/03-design-your-own.ipynb": DESIGN,
    "notebooks/app.ipynb": APP,
    "twidgets/app_notebook/app.ipynb": APP,
}

#: Notebooks committed with their outputs (executed by ``--execute``).
WITH_OUTPUTS = ("notebooks/02-reproduce-the-paper.ipynb",)


def build(rel: str) -> nbformat.NotebookNode:
    return _nb(NOTEBOOKS[rel])


def _sources(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def execute(path: Path, timeout: int = 600) -> None:
    """Execute ``path`` in place (kernel python3, cwd = its folder)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    for cell in nb.cells:  # timings are noise in diffs
        cell.get("metadata", {}).pop("execution", None)
    # live widgets cannot render from a file; a partial widget state makes GitHub's viewer refuse
    # the whole notebook, so keep only the text fallback of widget outputs and no widget state
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if data.pop("application/vnd.jupyter.widget-view+json", None) is not None:
                name = data.get("text/plain", "widget").split("(", 1)[0]
                data.clear()
                data["text/plain"] = f"[{name}: a live widget, shown when the notebook runs in Jupyter]"
    nbformat.write(nb, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--execute", action="store_true", help="execute the notebooks kept with outputs")
    ap.add_argument("--check", action="store_true", help="only compare the notebooks on disk with this script")
    args = ap.parse_args(argv)
    stale = []
    for rel in NOTEBOOKS:
        path = ROOT / rel
        nb = build(rel)
        if args.check:
            if not path.exists() or _sources(nbformat.read(path, as_version=4)) != _sources(nb):
                stale.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if (
            path.exists()
            and rel in WITH_OUTPUTS
            and not args.execute
            and _sources(nbformat.read(path, as_version=4)) == _sources(nb)
        ):
            continue  # keep the committed outputs of an unchanged notebook
        nbformat.write(nb, path)
        if args.execute and rel in WITH_OUTPUTS:
            print(f"executing {rel} ...", flush=True)
            execute(path)
        print(f"wrote {rel}")
    if stale:
        print("out of date (run scripts/make_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
