"""binder/: repo2docker installs this package with its `app` extra and the badge opens a real notebook."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import nbformat
import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
BADGE_RE = re.compile(r"\(https://mybinder\.org/v2/gh/[^)\s]+\)")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pip_install_targets(text: str) -> list[str]:
    """Arguments of every ``pip install`` command in a shell script (options dropped)."""
    targets = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = shlex.split(line)
        for i in range(len(words) - 1):
            if words[i] == "pip" and words[i + 1] == "install":
                targets += [w for w in words[i + 2 :] if not w.startswith("-")]
    return targets


def _requirement_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [ln.split("#", 1)[0].strip() for ln in path.read_text().splitlines() if ln.split("#", 1)[0].strip()]


def test_binder_installs_this_package_with_the_app_extra():
    """Either postBuild pip-installs the repository root with [app], or requirements.txt lists it."""
    post = BINDER / "postBuild"
    installed = _pip_install_targets(post.read_text()) if post.exists() else []
    installed += _requirement_lines(BINDER / "requirements.txt")
    root_with_app = [t for t in installed if re.fullmatch(r"\./?\[([^]]*,)?app(,[^]]*)?\]", t.replace(" ", ""))]
    assert root_with_app, f"binder/ does not install '.[app]' (found: {installed})"
    # and nothing pulls a (different) twidgets from the package index
    from_index = [t for t in installed if re.match(r"twidgets\b", t, re.I)]
    assert not from_index, f"binder/ installs twidgets from the index: {from_index}"
    if post.exists():
        assert os.access(post, os.X_OK), "binder/postBuild must be executable"
        assert post.read_text().startswith("#!"), "binder/postBuild needs a shebang line"
    # the repository root is this package, and its app extra brings Voila (the badge opens Voila)
    project = _pyproject()["project"]
    assert project["name"] == "twidgets"
    assert any(req.lower().startswith("voila") for req in project["optional-dependencies"]["app"])


def test_binder_python_satisfies_requires_python():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert m, f"binder/runtime.txt should read python-X.Y, not {runtime!r}"
    minimum = re.search(r">=\s*(\d+)\.(\d+)", _pyproject()["project"]["requires-python"])
    assert (int(m[1]), int(m[2])) >= (int(minimum[1]), int(minimum[2]))


def _badges():
    found = []
    for doc in (ROOT / "README.md", BINDER / "README.md"):
        if doc.exists():
            found += [(doc.name, m.group(0)[1:-1]) for m in BADGE_RE.finditer(doc.read_text())]
    return found


def test_there_is_a_binder_badge():
    assert _badges(), "no mybinder.org link in README.md or binder/README.md"


@pytest.mark.parametrize("where,url", _badges() or [("none", "")])
def test_badge_opens_an_existing_notebook_through_voila(where, url):
    assert url, "no badge"
    parsed = urlparse(url)
    assert parsed.path.endswith("/HEAD") or parsed.path.count("/") >= 5, url
    (urlpath,) = parse_qs(parsed.query)["urlpath"]
    urlpath = unquote(urlpath)
    assert urlpath.startswith("voila/render/"), f"{where}: the badge should open Voila, not {urlpath}"
    notebook = ROOT / urlpath[len("voila/render/") :]
    assert notebook.suffix == ".ipynb" and notebook.is_file(), f"{where}: {notebook} does not exist"
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    assert any("Dashboard" in c.source for c in nb.cells if c.cell_type == "code")
