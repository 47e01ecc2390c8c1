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
    nb = new_notebook(cells=out, metadata={"kernelspec": KERNELSPEC,
                                           "language_info": {"name": "python"}})
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
    code('''
import os

import twidgets
from twidgets.widgets import Dashboard

# `twidgets app SYSTEM` passes the system (bundled name or absolute .xlsx path) in TWIDGETS_SYSTEM.
system = twidgets.load_system(os.environ.get("TWIDGETS_SYSTEM", "cms-hllhc-pu200"))
Dashboard(system=system)
'''),
]


NOTEBOOKS = {
    "notebooks/app.ipynb": APP,
    "twidgets/app_notebook/app.ipynb": APP,
}

#: Notebooks committed with their outputs (executed by ``--execute``).
WITH_OUTPUTS = ()


def build(rel: str) -> nbformat.NotebookNode:
    return _nb(NOTEBOOKS[rel])


def _sources(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def execute(path: Path, timeout: int = 600) -> None:
    """Execute ``path`` in place (kernel python3, cwd = its folder)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:  # execution counts and timings are noise in diffs
        cell.get("metadata", {}).pop("execution", None)
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
        if path.exists() and rel in WITH_OUTPUTS and not args.execute \
                and _sources(nbformat.read(path, as_version=4)) == _sources(nb):
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
