"""Command line: ``twidgets app | evaluate | sweep``.

::

    twidgets evaluate cms-hllhc-pu200 --set Intermediate.skill_boost=0.4 [--seed N] [--json]
    twidgets sweep cms-hllhc-pu200 --param Intermediate.reduction_ratio=450:40:101 \\
        --param Intermediate.skill_boost=0:1:101 [--metric f1 ...] [--repeats K] [--seed N] \\
        [--out sweep.csv] [--workers N | --scheduler tcp://host:8786]

``SYSTEM`` is a bundled name (``twidgets evaluate --help`` lists them) or a workbook path.
Bad arguments print one line ``twidgets: error: ...`` on stderr and exit with code 2.
Values are parsed as numbers when ``float()`` accepts them, otherwise kept as text
(classifier, complexity); nothing typed is ever evaluated as code.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings

import numpy as np

from .executors import parse_connect_timeout
from .model.errors import ParameterError, SpecError
from .model.overrides import ExtrapolationWarning

__all__ = ["main", "build_parser", "parse_assignment", "parse_range"]

EXIT_USAGE = 2
EXIT_FAILURE = 1


class UsageError(Exception):
    """A bad command line: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(f"{message} (see '{self.prog} --help')")


# ---------------------------------------------------------------------------- parsing helpers
def _number_or_text(text: str):
    """``"0.4"`` -> 0.4, ``"hlt-gpu"`` -> ``"hlt-gpu"`` (float() or the text; never eval)."""
    try:
        return float(text)
    except ValueError:
        return text


def parse_assignment(text: str) -> tuple[str, str]:
    """``"Stage.param=VALUE"`` -> ``("Stage.param", "VALUE")``."""
    key, sep, value = text.rpartition("=")
    if not sep or not key.strip() or not value.strip():
        raise UsageError(f"expected Stage.param=VALUE, got {text!r}")
    return key.strip(), value.strip()


def parse_range(text: str) -> tuple[str, np.ndarray]:
    """``"Stage.param=START:STOP:NUM"`` (``numpy.linspace``), ``"K=v1,v2,..."`` or ``"K=v"``."""
    key, value = parse_assignment(text)
    try:
        if ":" in value:
            parts = value.split(":")
            if len(parts) != 3:
                raise ValueError
            start, stop = float(parts[0]), float(parts[1])
            num = float(parts[2])
            if not num.is_integer() or num < 1:
                raise UsageError(f"--param {key}: NUM must be a whole number >= 1, got {parts[2]!r}")
            if not (math.isfinite(start) and math.isfinite(stop)):
                raise ValueError
            return key, np.linspace(start, stop, int(num))
        return key, np.array([float(v) for v in value.split(",")])
    except ValueError:
        raise UsageError(f"--param {key}: expected START:STOP:NUM or comma-separated numbers, got {value!r}") from None


def _load(name_or_path: str):
    """A bundled system by name, else a workbook path."""
    from .model.io import list_systems, resolve_system

    if name_or_path in list_systems():
        return resolve_system(name_or_path)
    if os.path.isfile(name_or_path):
        return resolve_system(os.path.abspath(name_or_path))
    if os.sep in name_or_path or name_or_path.lower().endswith((".xlsx", ".xlsm")):
        raise UsageError(f"no workbook at {name_or_path!r}")
    raise UsageError(f"{name_or_path!r} is neither a bundled system ({', '.join(list_systems())}) nor a workbook file")


def _json_ready(x):
    """Numbers/arrays -> JSON values (non-finite -> null)."""
    if isinstance(x, dict):
        return {str(k): _json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_ready(v) for v in x]
    if isinstance(x, np.ndarray):
        return _json_ready(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


# ---------------------------------------------------------------------------- evaluate
_TABLE_COLUMNS = [
    "kind",
    "classifier",
    "input_rate",
    "output_rate",
    "reduction_ratio",
    "message_bytes",
    "op_power",
    "link_power",
    "threshold",
    "tp",
    "fp",
    "fn",
    "tn",
]


def run_evaluate(args) -> int:
    """``twidgets evaluate``: per-stage table and headline metrics (or ``--json``)."""
    from .model.evaluate import evaluate

    system = _load(args.system)
    overrides = {}
    for item in args.set or []:
        key, value = parse_assignment(item)
        if key in overrides:
            raise UsageError(f"--set {key} given twice")
        overrides[key] = _number_or_text(value)
    ev = evaluate(system, overrides, seed=args.seed)
    stages = ev.stages
    if args.json:
        doc = {
            "system": system.name or args.system,
            "year": ev.year,
            "seed": args.seed,
            "overrides": overrides,
            "headline": ev.headline(),
            "stages": {name: {c: row[c] for c in stages.columns} for name, row in stages.iterrows()},
            "links": ev.links.to_dict(orient="records"),
        }
        json.dump(_json_ready(doc), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = sys.stdout
    out.write(f"system {system.name or args.system} (year {ev.year}), seed {args.seed}\n")
    if overrides:
        out.write("overrides: " + ", ".join(f"{k}={v}" for k, v in overrides.items()) + "\n")
    table = stages[_TABLE_COLUMNS].copy()
    table.insert(0, "node", table.index)
    out.write("\nrates in events/s, message in bytes/event, power in W\n")
    out.write(table.to_string(index=False, float_format=lambda v: f"{v:.4g}") + "\n\n")
    units = {
        "power_W": "W",
        "link_power_W": "W",
        "op_power_W": "W",
        "scaled_power_W": "W",
        "productivity_per_J": "relevant events/J",
        "productivity_per_kJ": "relevant events/kJ",
        "output_rate_Hz": "events/s",
        "energy_per_relevant_event_J": "J",
    }
    for k, v in ev.headline().items():
        out.write(f"{k:30s} {v:.6g} {units.get(k, '')}".rstrip() + "\n")
    return 0


# ---------------------------------------------------------------------------- sweep
def _check_writable(path: str) -> None:
    """Fail before sweeping when ``--out`` cannot be written (its directory must exist)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path!r}: it is a directory")
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path!r}: no directory {folder!r}")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {path!r}: the directory {folder!r} is not writable")


def run_sweep(args) -> int:
    """``twidgets sweep``: an N-D sweep written as CSV (with provenance comment lines)."""
    from .model.sweep import sweep

    system = _load(args.system)
    params = {}
    for item in args.param:
        key, values = parse_range(item)
        if key in params:
            raise UsageError(f"--param {key} given twice")
        params[key] = values
    if args.out:
        _check_writable(args.out)
    executor = None
    closers = []
    try:
        if args.workers is not None:
            if args.workers < 1:
                raise UsageError(f"--workers must be >= 1, got {args.workers}")
            from concurrent.futures import ProcessPoolExecutor

            from .executors import cap_workers

            workers, note = cap_workers(args.workers, tuple(len(v) for v in params.values()), args.repeats)
            if note:
                print(f"twidgets: note: {note}", file=sys.stderr)
            executor = ProcessPoolExecutor(max_workers=workers)
            closers.append(executor.shutdown)
        elif args.scheduler:
            try:
                from distributed import Client  # noqa: F401  (only to say what to install)
            except ImportError:
                raise UsageError("--scheduler needs Dask: pip install 'twidgets[dask]'") from None
            from .executors import SchedulerError, connect

            try:
                executor = connect(args.scheduler, args.connect_timeout)
            except SchedulerError as exc:
                raise UsageError(str(exc)) from None
            closers.append(executor.close)
        result = sweep(
            system,
            params,
            metrics=args.metric or None,
            seed=args.seed,
            repeats=args.repeats,
            executor=executor,
            progress=False if args.quiet else None,
        )
    finally:
        for close in closers:
            close()
    if args.out:
        try:
            result.to_csv(args.out)
        except OSError as exc:
            raise UsageError(f"cannot write {args.out!r}: {exc.strerror or exc}") from None
        shape = " x ".join(str(n) for n in result.shape)
        print(
            f"wrote {args.out}: {shape} points, metrics {', '.join(result.metrics)}, "
            f"repeats {result.repeats}, seed {result.seed}"
        )
    else:
        result.to_csv(sys.stdout)
    return 0


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from .model.evaluate import METRICS
    from .model.io import list_systems

    systems = ", ".join(list_systems())
    parser = _Parser(
        prog="twidgets", description="Model trigger / data-acquisition pipelines: power vs selection quality."
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"twidgets {__version__}")
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    ev = sub.add_parser(
        "evaluate",
        help="evaluate one system: per-stage table and headline metrics",
        description=f"Evaluate a system. SYSTEM: a bundled name ({systems}) or a workbook path.",
    )
    ev.add_argument("system", metavar="SYSTEM")
    ev.add_argument(
        "--set",
        metavar="Stage.param=VALUE",
        action="append",
        help="override a parameter (repeatable); numbers or text (classifier, complexity)",
    )
    ev.add_argument("--seed", type=int, default=0, help="Monte-Carlo seed (default 0)")
    ev.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    ev.set_defaults(func=run_evaluate)

    sw = sub.add_parser(
        "sweep",
        help="sweep parameters over a grid; CSV out",
        description=f"Sweep parameters over their grid. SYSTEM: a bundled name ({systems}) "
        "or a workbook path. CSV goes to --out or stdout, after '#' provenance "
        "lines (pandas.read_csv(path, comment='#')).",
    )
    sw.add_argument("system", metavar="SYSTEM")
    sw.add_argument(
        "--param",
        metavar="Stage.param=START:STOP:NUM",
        action="append",
        required=True,
        help="a swept parameter (repeatable): linspace START:STOP:NUM or v1,v2,...",
    )
    sw.add_argument(
        "--metric",
        metavar="NAME",
        action="append",
        choices=METRICS,
        help=f"metric to compute (repeatable; default f1, precision, recall, power, scaled_power, "
        f"productivity, output_rate); one of {', '.join(METRICS)}",
    )
    sw.add_argument("--repeats", type=int, default=1, help="Monte-Carlo repeats (seeds SEED..SEED+K-1)")
    sw.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    sw.add_argument(
        "--out",
        metavar="FILE.csv",
        help="write the CSV here, atomically (temporary file renamed into place; default: stdout)",
    )
    where = sw.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="evaluate on N local worker processes (capped at the usable CPUs and the blocks of work)",
    )
    where.add_argument("--scheduler", metavar="ADDRESS", help="evaluate on a Dask cluster (tcp://host:port)")
    sw.add_argument(
        "--connect-timeout",
        type=parse_connect_timeout,
        default=10.0,
        metavar="SECONDS",
        help="bound, in seconds, on each wait for --scheduler: connecting, its first answer, "
        "a worker to appear (default 10)",
    )
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=run_sweep)

    try:  # the Voila app subcommand lives in twidgets/app.py
        from . import app as _app
    except ImportError:
        _app = None
    if _app is not None:
        _app.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings on the command line: one line each, no source location."""
    print(f"twidgets: warning: {_one_line(message)}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 bad arguments, 1 failure)."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        warnings.filterwarnings("once", category=ExtrapolationWarning)
        return _main(argv)


def _main(argv) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    except (UsageError, SpecError, ParameterError, ValueError) as exc:
        print(f"twidgets: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `twidgets sweep ... | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("twidgets: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("TWIDGETS_DEBUG"):
            raise
        print(
            f"twidgets: error: {type(exc).__name__}: {_one_line(exc)} (set TWIDGETS_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _one_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
