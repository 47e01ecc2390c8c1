"""`twidgets app`: the Voila launcher (issue 5 "The app", issue 6 "The app" bullet)."""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest
from app_server import AppProcess, free_port, twidgets_command

import twidgets
from twidgets import app

ROOT = Path(__file__).resolve().parents[1]


def _get(url, timeout=60):
    """(status, body) of a GET, following redirects; HTTP errors give their status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


def _voila_children(proc):
    """The Voila server processes started by the launcher ``proc``."""
    kids = psutil.Process(proc.pid).children(recursive=True)
    return [k for k in kids if k.cmdline()[1:3] == ["-m", "twidgets.app_voila"]]


def _non_loopback_ipv4():
    """This machine's outward-facing IPv4 address, or None (no route, or only loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # UDP: no packet is sent
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") or ip == "0.0.0.0" else ip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    (whl,) = out.glob("twidgets-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """The wheel unpacked as a plain (non-editable) install; env puts it first on sys.path."""
    site = tmp_path_factory.mktemp("site")
    zipfile.ZipFile(wheel).extractall(site)
    return site, dict(os.environ, PYTHONPATH=str(site))


@pytest.fixture(scope="module")
def served(installed):
    """``twidgets app --no-browser --port N`` running from the unpacked wheel, page fetched once."""
    site, env = installed
    port = free_port()
    server = AppProcess(["--no-browser", "--port", str(port)], cwd=site.parent, env=env)
    try:
        server.wait_url()
        status, body = _get(server.url, timeout=180)  # the first GET starts a kernel and runs the notebook
        yield server, port, status, body
    finally:
        server.stop()


# ------------------------------------------------------------------------------------- unit level
def test_register_adds_app_subcommand_with_defaults():
    parser = argparse.ArgumentParser(prog="twidgets")
    sub = parser.add_subparsers(dest="command")
    app.register(sub)
    args = parser.parse_args(["app"])
    assert args.func is app.run
    assert (args.system, args.port, args.host, args.open_browser) == ("cms-hllhc-pu200", 8866, "127.0.0.1", True)
    assert (args.preheat, args.max_sessions) == (app.DEFAULT_PREHEAT, None)
    args = parser.parse_args(
        ["app", "cms-run3-pu60", "--port", "9001", "--host", "0.0.0.0", "--no-browser", "--preheat", "2"]
        + ["--max-sessions", "5"]
    )
    assert (args.system, args.port, args.host, args.open_browser) == ("cms-run3-pu60", 9001, "0.0.0.0", False)
    assert (args.preheat, args.max_sessions) == (2, 5)


def test_voila_command_serves_only_the_app_notebook_hidden_capped_and_culled():
    cmd = app.voila_command("127.0.0.1", 9123, preheat=2, max_sessions=7)
    assert cmd[:3] == [sys.executable, "-m", "twidgets.app_voila"]
    assert cmd[3] == str(app.APP_NOTEBOOK)  # a single notebook file, not a directory
    assert "--Voila.ip=127.0.0.1" in cmd and "--Voila.port=9123" in cmd
    assert "--VoilaConfiguration.strip_sources=True" in cmd
    assert "--Voila.port_retries=0" in cmd
    assert f"--Voila.root_dir={app.APP_NOTEBOOK.parent}" in cmd
    assert "--VoilaConfiguration.multi_kernel_manager_class=twidgets.app_voila.SessionKernelManager" in cmd
    assert "--SessionKernelManager.max_sessions=7" in cmd and "--SessionKernelManager.pool_size=2" in cmd
    assert "--VoilaConfiguration.preheat_kernel=True" in cmd and "--VoilaConfiguration.default_pool_size=2" in cmd
    assert "--SessionKernelManager.cull_idle_timeout=600" in cmd
    assert "--SessionKernelManager.cull_disconnected_timeout=60" in cmd
    assert "--SessionKernelManager.cull_unconnected_timeout=300" in cmd
    assert "--SessionKernelManager.cull_interval=20" in cmd
    assert "--TwidgetsVoila.local_only=True" in cmd  # bound to loopback: foreign Host headers refused
    assert f"--VoilaConfiguration.template={app.TEMPLATE}" in cmd
    assert (app.TEMPLATE_ROOT / "voila" / "templates" / app.TEMPLATE / "index.html.j2").is_file()
    assert (app.TEMPLATE_ROOT / "voila" / "templates" / app.TEMPLATE / "full.html").is_file()
    # no preheat: Voila's pool stays off (it would refuse nothing, but starts no kernel ahead)
    cold = app.voila_command("0.0.0.0", 9123, preheat=0, max_sessions=1)
    assert not any(a.startswith("--VoilaConfiguration.preheat_kernel") for a in cold)
    assert "--TwidgetsVoila.local_only=False" in cold  # served to other machines: any Host


def test_default_max_sessions_is_sized_to_the_machine():
    gib = 2**30
    assert app.default_max_sessions(cpus=2, memory=24 * gib) == 8  # four per CPU
    assert app.default_max_sessions(cpus=64, memory=8 * gib) == 10  # half the memory at 400 MiB each
    assert app.default_max_sessions(cpus=1, memory=256 * 2**20) == 1  # never 0
    assert app.default_max_sessions() >= 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--preheat", "-1"], "--preheat -1"),
        (["--max-sessions", "0"], "--max-sessions 0"),
    ],
)
def test_bad_preheat_or_cap_is_one_line_and_exit_2(argv, message, capsys):
    code = app.main(["cms-run3-pu60", "--no-browser", "--port", str(free_port()), *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err


def test_resolve_system_names_and_paths(tmp_path, monkeypatch, pu200):
    assert app.resolve_system("cms-run3-pu60") == "cms-run3-pu60"
    pu200.to_xlsx(tmp_path / "mine.xlsx")
    monkeypatch.chdir(tmp_path)
    resolved = app.resolve_system("mine.xlsx")  # relative to the caller; the kernel runs elsewhere
    assert Path(resolved).is_absolute() and Path(resolved) == (tmp_path / "mine.xlsx").resolve()
    with pytest.raises(app.AppError, match="unknown system 'nope'.*cms-hllhc-pu200"):
        app.resolve_system("nope")
    with pytest.raises(app.AppError, match="no such workbook: missing.xlsx"):
        app.resolve_system("missing.xlsx")


def test_app_url():
    assert app.app_url("127.0.0.1", 8866) == "http://127.0.0.1:8866/"
    assert app.app_url("::1", 9000) == "http://[::1]:9000/"


def test_app_notebook_reads_the_system_from_the_environment():
    nb = nbformat.read(app.APP_NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert app.SYSTEM_ENV in source and "Dashboard" in source
    # the Binder/repository copy is the same notebook
    repo_copy = nbformat.read(ROOT / "notebooks" / "app.ipynb", as_version=4)
    assert [c.source for c in repo_copy.cells] == [c.source for c in nb.cells]


def test_voila_is_not_imported_by_the_cli():
    r = subprocess.run(
        [sys.executable, "-c", "import sys, twidgets.cli, twidgets.app; print('voila' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.stdout.strip() == "False", r.stderr


def test_missing_voila_is_one_line_and_exit_2(monkeypatch, capsys):
    real = app.importlib.util.find_spec
    monkeypatch.setattr(app.importlib.util, "find_spec", lambda name, *a: None if name == "voila" else real(name, *a))
    code = app.main(["cms-run3-pu60", "--no-browser", "--port", str(free_port())])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Voila is not installed" in err and "twidgets[app]" in err


# ---------------------------------------------------------------------------------- bad arguments
def _run_app(args, cwd=None, timeout=60):
    return subprocess.run(twidgets_command() + ["app"] + args, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def test_unknown_system_exits_2_with_one_line():
    r = _run_app(["no-such-system", "--no-browser", "--port", str(free_port())])
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "no-such-system" in lines[0] and "cms-hllhc-pu200" in lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_broken_workbook_exits_2_with_one_line(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"this is not a zip file")
    r = _run_app(["broken.xlsx", "--no-browser", "--port", str(free_port())], cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken.xlsx" in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_port_in_use_exits_2(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = _run_app(["--no-browser", "--port", str(s.getsockname()[1])])
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "in use" in r.stderr


# --------------------------------------------------------------------------------- a live server
def test_prints_url_and_serves_the_voila_page(served):
    server, port, status, body = served
    assert server.url == f"http://127.0.0.1:{port}/"
    assert status == 200
    assert "voila" in body.lower() and "jupyter-config-data" in body
    # sources hidden: the notebook's code is not in the page
    assert "TWIDGETS_SYSTEM" not in body and "load_system(" not in body
    # the app's template: nothing linked from another host (Voila's "lab" template links a CDN)
    assert not re.findall(r'(?:href|src)="(?:https?:)?//(?!127\.0\.0\.1)', body)


def test_listens_on_loopback_only(served):
    server, port, _, _ = served
    listening = [
        c
        for k in _voila_children(server.proc)
        for c in k.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening, "the Voila process has no listening socket"
    assert {c.laddr.port for c in listening} == {port}
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}
    # nothing in the process tree (kernels included) listens beyond loopback
    tree = psutil.Process(server.proc.pid).children(recursive=True)
    everything = [c for k in tree for c in k.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert {c.laddr.ip for c in everything} == {"127.0.0.1"}
    ip = _non_loopback_ipv4()
    if ip is not None:  # reaching it through the machine's other address is refused
        with pytest.raises(OSError):
            socket.create_connection((ip, port), timeout=2).close()


@pytest.mark.parametrize(
    "path",
    [
        "app.ipynb",
        "voila/files/app.ipynb",
        "voila/render/app.ipynb",
        "voila/tree",
        "tree",
        "api/contents",
        "api/kernels",
        "voila/files/%2E%2E/data/cms-hllhc-pu200.xlsx",
        "voila/files/__init__.py",
        "files/app.py",
    ],
)
def test_nothing_else_is_served(served, path):
    server, _, _, _ = served
    status, _ = _get(server.url + path, timeout=10)
    assert status in (403, 404), f"{path} answered {status}"


def test_idle_kernels_are_culled(served):
    server, _, _, _ = served
    (voila,) = _voila_children(server.proc)[:1]
    cmdline = voila.cmdline()
    assert "--SessionKernelManager.cull_idle_timeout=600" in cmdline
    assert "--SessionKernelManager.cull_interval=20" in cmdline
    # the kernel manager took the settings: it announces the culler when the page's kernel starts
    assert server.wait_for_stderr(r"Culling kernels with idle durations > 600 seconds at 20 second intervals")


def test_kernel_gets_the_system_through_the_environment(served, installed):
    server, _, _, _ = served
    site, _ = installed
    (voila,) = _voila_children(server.proc)[:1]
    env = voila.environ()
    assert env.get(app.SYSTEM_ENV) == "cms-hllhc-pu200"
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(site / "twidgets" / "app_template")


def test_wheel_contains_app_notebook_data_and_widget_static(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "twidgets/app_notebook/app.ipynb" in names
    assert "twidgets/app.py" in names
    assert "twidgets/app_template/voila/templates/twidgets/index.html.j2" in names
    assert "twidgets/app_template/voila/templates/twidgets/conf.json" in names
    for system in twidgets.list_systems():
        assert f"twidgets/data/{system}.xlsx" in names
    static = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "twidgets" / "widgets" / "static").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    missing = [s for s in static if s not in names]
    assert not missing, f"widget static files missing from the wheel: {missing}"
    nb = json.loads(zipfile.ZipFile(wheel).read("twidgets/app_notebook/app.ipynb"))
    assert nb["cells"] and any("Dashboard" in "".join(c["source"]) for c in nb["cells"])
    # the Jupyter server extension that serves plotly.js to the Plot widget, enabled on install
    (config,) = [n for n in names if n.endswith(".data/data/etc/jupyter/jupyter_server_config.d/twidgets.json")]
    enabled = json.loads(zipfile.ZipFile(wheel).read(config))["ServerApp"]["jpserver_extensions"]
    assert enabled == {"twidgets.widgets.server": True} and "twidgets/widgets/server.py" in names


def test_the_installed_wheel_finds_its_bundled_data(installed):
    """A wheel install reads the workbooks shipped inside the package, not a checkout's data/."""
    site, env = installed
    code = (
        "import twidgets; from twidgets.model import io; "
        "print(io.data_path('cms-hllhc-pu200.xlsx')); print(twidgets.load_system('cms-hllhc-pu200'))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=site.parent, env=env, timeout=60
    )
    assert r.returncode == 0, r.stderr
    where, system = r.stdout.strip().splitlines()
    assert Path(where) == site / "twidgets" / "data" / "cms-hllhc-pu200.xlsx"
    assert system.startswith("<System 'cms-hllhc-pu200'")


def test_the_installed_package_serves_its_own_notebook(served, installed):
    """After a non-editable install the app finds its notebook (and kernel its code) in the package."""
    site, env = installed
    where = subprocess.run(
        [sys.executable, "-c", "import twidgets.app as a; print(a.APP_NOTEBOOK)"],
        capture_output=True,
        text=True,
        cwd=site.parent,
        env=env,
        timeout=60,
    )
    assert Path(where.stdout.strip()) == site / "twidgets" / "app_notebook" / "app.ipynb"
    server = served[0]
    (voila,) = _voila_children(server.proc)[:1]
    assert str(site / "twidgets" / "app_notebook" / "app.ipynb") in voila.cmdline()
    assert voila.environ()["PYTHONPATH"] == str(site)


def test_sigterm_stops_voila_and_its_kernels(served):
    """(Runs last in this module: it stops the shared server.)"""
    server = served[0]
    tree = psutil.Process(server.proc.pid).children(recursive=True)
    assert any(p.cmdline()[1:3] == ["-m", "twidgets.app_voila"] for p in tree)
    server.proc.terminate()
    server.proc.wait(timeout=30)
    _, alive = psutil.wait_procs(tree, timeout=30)
    assert not alive, f"left running after SIGTERM: {[p.cmdline() for p in alive]}"
