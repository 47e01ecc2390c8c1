"""Every notebook in notebooks/ runs top to bottom (nbclient, kernel python3)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.notebooks


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {"01-quickstart.ipynb", "02-reproduce-the-paper.ipynb", "03-design-your-own.ipynb", "app.ipynb"} <= names


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of notebooks/ so that files a notebook writes never land in the repository."""
    dst = tmp_path_factory.mktemp("notebooks")
    shutil.copytree(ROOT / "notebooks", dst, dirs_exist_ok=True)
    return dst


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, workdir):
    copy = workdir / path.name
    nb = nbformat.read(copy, as_version=4)
    for cell in nb.cells:  # run from a clean slate, whatever outputs were committed
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(workdir)}}
    ).execute()  # raises CellExecutionError
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip())


def test_generated_notebooks_match_the_generator():
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr


def test_paper_notebook_is_committed_with_static_figures():
    """GitHub shows the committed outputs: the figures must be PNGs, with no error and no widget state."""
    nb = nbformat.read(ROOT / "notebooks" / "02-reproduce-the-paper.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 7, f"only {len(pngs)} PNG figures committed (run scripts/make_notebooks.py --execute)"
    assert not [o for o in outputs if o.output_type == "error"]
    assert "widgets" not in nb.metadata
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "some cells were not executed"
