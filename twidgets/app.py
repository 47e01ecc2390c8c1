"""``twidgets app``: serve the Dashboard as a Voila app on one system.

The app is the notebook shipped inside the package (``twidgets/app_notebook/app.ipynb``),
so it works after a plain, non-editable ``pip install ".[app]"``. Voila is started on that
single notebook file (nothing else under the server's root is rendered), with sources
hidden, bound to ``127.0.0.1`` unless ``--host`` says otherwise. The system to show (a
bundled name or an ``.xlsx`` path) is validated here, before the server starts, and handed
to the notebook's kernel in the ``TWIDGETS_SYSTEM`` environment variable.

What the server does for its visitors (:mod:`twidgets.app_voila`):

* ``--preheat N`` kernels have already run the notebook when a visitor arrives (Voila's
  kernel pool); the page's query string reaches them through
  :func:`twidgets.app_page.page_query_string`;
* at most ``--max-sessions`` kernels serve visitors; one more gets the "full" page (HTTP 503);
* a kernel whose tab has closed is shut down within about a minute
  (:data:`CULL_DISCONNECTED_TIMEOUT`), one behind an open but unused tab after
  :data:`CULL_IDLE_TIMEOUT`; the page then says its session ended and offers a reload;
* requests naming a foreign ``Host`` (unless ``--host`` exposes the app) or ``Origin`` are refused;
* the Voila process dies with this one, even on SIGKILL (Linux parent-death signal).

Voila is never imported here: :func:`run` checks that it is installed and starts
``python -m twidgets.app_voila`` as a subprocess.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import functools
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path

from .model.io import default_system  # the system shown when none is given (a registered study names it)

__all__ = [
    "APP_NOTEBOOK",
    "TEMPLATE_ROOT",
    "TEMPLATE",
    "SYSTEM_ENV",
    "CULL_IDLE_TIMEOUT",
    "CULL_DISCONNECTED_TIMEOUT",
    "CULL_UNCONNECTED_TIMEOUT",
    "CULL_INTERVAL",
    "DEFAULT_PREHEAT",
    "default_max_sessions",
    "DEFAULT_PORT",
    "AppError",
    "register",
    "run",
    "main",
    "resolve_system",
    "voila_command",
    "app_url",
]

#: The notebook the app serves (shipped in the wheel).
APP_NOTEBOOK = Path(__file__).resolve().parent / "app_notebook" / "app.ipynb"
#: A Jupyter data directory holding the app's Voila template ``twidgets`` (Voila's "lab"
#: template minus the stylesheets it links from a CDN: the app fetches nothing at run time).
TEMPLATE_ROOT = Path(__file__).resolve().parent / "app_template"
#: Name of that template.
TEMPLATE = "twidgets"
#: Environment variable through which the app notebook receives its system (name or absolute path).
SYSTEM_ENV = "TWIDGETS_SYSTEM"
#: A kernel whose page is open but unused for this long (seconds) is shut down.
CULL_IDLE_TIMEOUT = 600
#: A kernel whose page has gone (its tab closed) is shut down after this long (seconds).
CULL_DISCONNECTED_TIMEOUT = 60
#: A kernel whose page never connected (left while loading; not a browser) is shut down after this long (seconds).
CULL_UNCONNECTED_TIMEOUT = 300
#: How often (seconds) kernels to shut down are looked for.
CULL_INTERVAL = 20
#: Executed kernels kept waiting for visitors when ``--preheat`` is not given.
DEFAULT_PREHEAT = 1
#: Memory one session is assumed to take when sizing the default ``--max-sessions`` (bytes).
SESSION_MEMORY = 400 * 2**20
#: Port used when ``--port`` is not given (Voila's usual one).
DEFAULT_PORT = 8866
#: How long (seconds) to wait for the server to accept connections before giving up.
STARTUP_TIMEOUT = 120.0


class AppError(Exception):
    """A problem with the app's arguments, reported as one line and exit status 2."""


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``app`` subcommand to an ``argparse`` subparsers object (sets ``func=run``)."""
    p = subparsers.add_parser(
        "app",
        help="serve the dashboard as a Voila app on localhost",
        description="Serve the twidgets Dashboard with Voila (sources hidden) on a bundled system "
        "or an .xlsx workbook, and print its URL.",
    )
    add_arguments(p)
    p.set_defaults(func=run)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``app`` subcommand's arguments."""
    p.add_argument(
        "system",
        nargs="?",
        default=default_system(),
        help=f"bundled system name or path to an .xlsx workbook (default: {default_system()})",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default: {DEFAULT_PORT})")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: 127.0.0.1, this machine only; 0.0.0.0 exposes the app)",
    )
    p.add_argument("--no-browser", dest="open_browser", action="store_false", help="do not open a web browser")
    p.add_argument(
        "--preheat",
        type=int,
        default=DEFAULT_PREHEAT,
        metavar="N",
        help=f"kernels kept executed and waiting, so a visitor gets a ready page (default: {DEFAULT_PREHEAT}; "
        "0 runs the notebook when the visitor arrives)",
    )
    p.add_argument(
        "--max-sessions",
        type=int,
        default=None,
        metavar="N",
        help="most visitors served at once; more get a 'full' page "
        f"(default: sized to this machine, {default_max_sessions()} here)",
    )


def default_max_sessions(cpus: int | None = None, memory: int | None = None) -> int:
    """Sessions this machine serves at once by default: half its memory at :data:`SESSION_MEMORY`
    per session, and no more than four per CPU, at least 1."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if memory is None:
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            memory = 4 * 2**30
    return max(1, min(memory // 2 // SESSION_MEMORY, 4 * cpus))


def resolve_system(system: str) -> str:
    """Validate ``system`` (bundled name or workbook path) and return what the kernel should load.

    Returns the bundled name unchanged, or the workbook's absolute path (the kernel runs in
    another directory). Raises :class:`AppError` with a one-line message if the system cannot
    be loaded.
    """
    from .model import SpecError, list_systems
    from .model.io import resolve_system as load_system

    names = list_systems()
    if system in names:
        target = system
    else:
        path = Path(system).expanduser()
        looks_like_path = path.suffix.lower() in (".xlsx", ".xlsm") or os.sep in system or "/" in system
        if not looks_like_path:
            raise AppError(
                f"unknown system {system!r}; bundled systems: {', '.join(names)} "
                "(or give the path to an .xlsx workbook)"
            )
        if not path.is_file():
            raise AppError(f"no such workbook: {system}")
        target = str(path.resolve())
    try:
        load_system(target)
    except SpecError as exc:
        raise AppError(f"cannot load {system}: {_one_line(str(exc))}") from None
    except OSError as exc:
        raise AppError(f"cannot read {system}: {_one_line(str(exc))}") from None
    return target


def app_url(host: str, port: int) -> str:
    """The URL the app is served at."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def voila_command(
    host: str,
    port: int,
    notebook: Path = APP_NOTEBOOK,
    *,
    preheat: int = DEFAULT_PREHEAT,
    max_sessions: int = 4,
    figures: bool = True,
) -> list[str]:
    """The ``python -m twidgets.app_voila`` command line serving ``notebook`` alone.

    Sources are stripped, tracebacks hidden from the page, the page uses the app's own
    template (:data:`TEMPLATE`, found through ``JUPYTER_PATH``), the server binds ``host`` only,
    does not fall back to another port, does not open a browser itself, keeps ``preheat``
    executed kernels waiting, serves at most ``max_sessions`` visitors, shuts down kernels
    with no page after :data:`CULL_DISCONNECTED_TIMEOUT` s and unused ones after
    :data:`CULL_IDLE_TIMEOUT` s (checked every :data:`CULL_INTERVAL` s), and, bound to a
    loopback address, refuses requests naming another host. ``figures=False`` leaves out
    plotly.js (:func:`plotly_arguments`): a page with no figures, as the benchmark's
    bare-ipywidgets anchor, then loads what any page of this Voila loads and nothing more.
    """
    notebook = Path(notebook)
    km = "SessionKernelManager"
    cmd = [
        sys.executable,
        "-m",
        "twidgets.app_voila",
        str(notebook),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        f"--Voila.root_dir={notebook.parent}",
        f"--VoilaConfiguration.template={TEMPLATE}",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.multi_kernel_manager_class=twidgets.app_voila.SessionKernelManager",
        f"--{km}.max_sessions={max_sessions}",
        f"--{km}.pool_size={preheat}",
        f"--{km}.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
        f"--{km}.cull_disconnected_timeout={CULL_DISCONNECTED_TIMEOUT}",
        f"--{km}.cull_unconnected_timeout={CULL_UNCONNECTED_TIMEOUT}",
        f"--{km}.cull_interval={CULL_INTERVAL}",
        f"--{km}.cull_connected=True",
        f"--TwidgetsVoila.local_only={_is_loopback(host)}",
        *plotly_arguments(figures),
    ]
    if preheat > 0:
        cmd += ["--VoilaConfiguration.preheat_kernel=True", f"--VoilaConfiguration.default_pool_size={preheat}"]
    return cmd


def plotly_arguments(figures: bool = True) -> list[str]:
    """Voila options that give the page one plotly.js, the installed plotly's, from a URL.

    The app's figures (:class:`twidgets.widgets.plot.Plot`) need no plotly lab extension, so
    its bundle is not sent (``extension_denylist``); the installed plotly's ``package_data``
    is served under ``voila/labextensions/`` and the page is told that URL
    (``extension_config``: the app's template loads it in the page's head, and
    ``static/plot.js`` waits for it). ``figures=False``: the denylist only (no plotly.js).
    """
    spec = importlib.util.find_spec("plotly")  # located, not imported
    if spec is None or spec.origin is None:
        raise AppError("plotly is not installed: pip install 'twidgets[app]'")
    package_data = Path(spec.origin).resolve().parent / "package_data"
    if not figures:
        return ["--VoilaConfiguration.extension_denylist=jupyterlab-plotly"]
    return [
        "--VoilaConfiguration.extension_denylist=jupyterlab-plotly",
        f"--VoilaConfiguration.extra_labextensions_path={package_data}",
        "--VoilaConfiguration.extension_config",
        "twidgetsPlotlyUrl=voila/labextensions/plotly.min.js",
    ]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # as the server binds (tornado sets SO_REUSEADDR): connections of a previous run
        # still in TIME_WAIT do not make the port busy, a listening socket does
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _wait_listening(proc: subprocess.Popen, host: str, port: int, timeout: float) -> bool:
    """Wait until ``host:port`` accepts connections; False if the process died or time ran out."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _stop_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit so the Voila child is stopped too (main thread only)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, lambda signum, frame: sys.exit(0))
        except ValueError:  # not the main thread
            pass


def _die_with_parent(parent_pid: int) -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies (even by SIGKILL)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(name, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def run(args: argparse.Namespace) -> int:
    """Serve the app until interrupted. Returns the exit status (2 for bad arguments)."""
    try:
        target = resolve_system(args.system)
        if not 0 < args.port < 65536:
            raise AppError(f"--port {args.port}: not a TCP port (1-65535)")
        if args.preheat < 0:
            raise AppError(f"--preheat {args.preheat}: give 0 or more kernels")
        max_sessions = default_max_sessions() if args.max_sessions is None else args.max_sessions
        if max_sessions < 1:
            raise AppError(f"--max-sessions {max_sessions}: give 1 or more")
        if not _port_free(args.host, args.port):
            raise AppError(f"cannot listen on {args.host}:{args.port}: the address is in use or not available")
        if not APP_NOTEBOOK.is_file():
            raise AppError(f"the app notebook is missing from the installation: {APP_NOTEBOOK}")
        if importlib.util.find_spec("voila") is None:  # Voila itself runs in the subprocess
            raise AppError('Voila is not installed; install the app extra: python -m pip install "twidgets[app]"')
    except AppError as exc:
        print(f"twidgets app: error: {exc}", file=sys.stderr)
        return 2

    _stop_on_signals()
    env = dict(os.environ, **{SYSTEM_ENV: target})
    if args.host not in ("0.0.0.0", "::", ""):  # where preheated kernels ask for their page's query string
        env["VOILA_APP_IP"] = f"[{args.host}]" if ":" in args.host else args.host
    # Voila finds the app's template through JUPYTER_PATH (searched before the usual places)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATE_ROOT), os.environ.get("JUPYTER_PATH")) if p)
    cmd = voila_command(args.host, args.port, preheat=args.preheat, max_sessions=max_sessions)
    preexec = functools.partial(_die_with_parent, os.getpid()) if sys.platform.startswith("linux") else None
    proc = subprocess.Popen(cmd, env=env, cwd=str(APP_NOTEBOOK.parent), preexec_fn=preexec)
    try:
        if not _wait_listening(proc, args.host, args.port, STARTUP_TIMEOUT):
            if proc.poll() is None:
                proc.terminate()
            print(f"twidgets app: error: Voila did not start on {args.host}:{args.port}", file=sys.stderr)
            return 1
        url = app_url(args.host, args.port)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"twidgets app: warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
        print(
            f"twidgets app: serving {args.system} at {url} to at most {max_sessions} sessions (Ctrl-C to stop)",
            flush=True,
        )
        if getattr(args, "open_browser", True):
            webbrowser.open(url)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv=None) -> int:
    """``python -m twidgets.app [SYSTEM] [--port N] [--host H] [--no-browser] [--preheat N] [--max-sessions N]``."""
    parser = argparse.ArgumentParser(prog="twidgets app", description="Serve the twidgets Dashboard with Voila.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
