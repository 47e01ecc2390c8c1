"""N-D parameter sweeps with Monte-Carlo repeats (the grid runner) -> :class:`SweepResult`.

>>> import numpy as np, twidgets
>>> system = twidgets.load_system("cms-hllhc-pu200")
>>> res = twidgets.sweep(system, {"Intermediate.reduction_ratio": np.linspace(450, 40, 101),
...                               "Intermediate.skill_boost": np.linspace(0, 1, 101)})
>>> res.metric("f1").shape
(101, 101)

How a sweep runs
----------------
The grid is the outer product of the parameter axes (``params`` order = axis order). It
is cut into *blocks* of at most ``chunk_size`` points that are themselves sub-grids (a
run of indices along one axis, everything along the later axes), so each block is ONE
vectorised :func:`twidgets.evaluate` call with every axis reshaped to broadcast -- never
a Python loop per point -- and the blocks are contiguous runs of the C-ordered grid.
Memory stays bounded by the block size plus the result arrays (one per metric, two with
repeats): a sweep whose result arrays would exceed :data:`RESULT_BUDGET_BYTES` is refused
before anything is evaluated. Blocks are generated as they are submitted, never listed.

Each block is evaluated once per seed ``seed .. seed + repeats - 1`` (independent
Monte-Carlo classifier sample sets). Means and standard deviations over the repeats are
accumulated on the fly (Welford), so the result holds two arrays per metric however many
repeats are run. A metric that does not depend on the seed (analytic classifiers only)
has a spread of exactly 0.

``executor`` may be any :class:`concurrent.futures.Executor` or a Dask
``distributed.Client``: blocks (system + block values + seed) are submitted to it, at most
a few per worker in flight, and combined in submission order, so the result is
bit-identical to the local one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeoutError
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from typing import Any

import numpy as np

from .blocks import count_blocks, plan_blocks
from .errors import ParameterError
from .evaluate import METRICS, evaluate
from .overrides import GRID_BUDGET_BYTES
from .params import check_values, split_param
from .progress import progress_reporter
from .spec import System
from .sweep_result import SweepResult, read_provenance

__all__ = [
    "sweep",
    "SweepResult",
    "read_provenance",
    "DEFAULT_METRICS",
    "DEFAULT_CHUNK_SIZE",
    "RESULT_BUDGET_BYTES",
    "sweep_axes",
    "plan_blocks",
    "count_blocks",
]

#: Metrics computed when ``metrics=None``.
DEFAULT_METRICS = ("f1", "precision", "recall", "power", "scaled_power", "productivity", "output_rate")
#: Points per vectorised evaluate call. 16,384 float64 values = 128 KiB per temporary
#: array: cache-friendly, and below glibc's mmap threshold, which matters on Dask workers
#: (they set MALLOC_TRIM_THRESHOLD_, so larger arrays are mmap'ed and page-faulted on every
#: allocation: measured 1.5-2x slower per point with 40k-point blocks).
DEFAULT_CHUNK_SIZE = 16_384
#: Rough cost of one grid point and of one evaluate call (s), for the progress-bar decision.
_SECONDS_PER_POINT = 1e-5
_SECONDS_PER_CALL = 0.02
#: How long to wait for a block's result from a Dask cluster before checking that it
#: still has workers (s).
WORKER_CHECK_SECONDS = 10.0
#: Largest total size (bytes) of a sweep's result arrays: the means of every metric, plus
#: the running sums of squares (turned into the spreads in place) when ``repeats > 1``.
RESULT_BUDGET_BYTES = GRID_BUDGET_BYTES


# ---------------------------------------------------------------------------- validation
def _version() -> str:
    """The installed twidgets distribution's version ("unknown" when not installed)."""
    try:
        return _dist_version("twidgets")
    except PackageNotFoundError:
        return "unknown"


def _check_system(system: object) -> System:
    if not isinstance(system, System):
        raise ParameterError(
            f"expected a System (e.g. twidgets.load_system(name) or System.from_xlsx(path)), got {type(system).__name__}"
        )
    return system


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_param_name(system: System, key: Any) -> tuple[str, tuple[str | None, str]]:
    """Validate one ``"Stage.param"`` name for a sweep; returns (clean key, (node, param))."""
    node, param = split_param(key)
    if node is None:
        return "year", (None, "year")
    try:
        n = system.node(node)
    except ParameterError:
        raise ParameterError(
            f"parameter {key!r}: the system has no detector or stage named {node!r}; "
            f"stages: {', '.join(system.stage_names)}; detectors: {', '.join(system.detector_names)}"
        ) from None
    if param not in n.params:
        kind = (
            "structural" if param in ("classifier", "complexity", "output", "n_samples", "calibration") else "unknown"
        )
        hint = " (set it once with system.with_params instead)" if kind == "structural" else ""
        raise ParameterError(
            f"parameter {key!r}: {param!r} is not a numeric parameter of the {n.kind} {node!r}{hint}; "
            f"numeric ones: {', '.join(f'{node}.{p}' for p in n.params)}"
        )
    return f"{node}.{param}", (node, param)


def sweep_axes(system: System, params: Any) -> dict[str, np.ndarray]:
    """Validate sweep ``params`` up front; returns ``{"Stage.param": 1-D float array}`` in order.

    Raises :class:`ParameterError` naming the bad key: unknown node or parameter (listing
    the valid ones), a structural parameter, the same parameter twice, empty, not 1-D,
    non-numeric or out-of-range values (the rules of :mod:`twidgets.model.params`).
    """
    _check_system(system)
    if not isinstance(params, Mapping) or not params:
        raise ParameterError(
            "params must be a non-empty mapping 'Stage.param' -> 1-D values, e.g. "
            "{'L1.reduction_ratio': numpy.linspace(450, 40, 101)}"
        )
    axes: dict[str, np.ndarray] = {}
    seen: dict[tuple[str | None, str], Any] = {}
    for key, values in params.items():
        clean, canon = _check_param_name(system, key)
        if canon in seen:
            raise ParameterError(f"parameter {key!r} is the same as {seen[canon]!r}: sweep each parameter once")
        seen[canon] = key
        if isinstance(values, (str, bytes)):
            raise ParameterError(f"parameter {key!r}: expected a 1-D sequence of numbers, got {values!r}")
        arr = check_values(canon[1], values, f"parameter {key!r}")
        if arr.ndim != 1:
            raise ParameterError(
                f"parameter {key!r}: expected a 1-D sequence of values, got an array of shape {arr.shape}"
                + (" (fix a single value with system.with_params instead)" if arr.ndim == 0 else "")
            )
        if arr.size == 0:
            raise ParameterError(f"parameter {key!r}: no values to sweep (empty sequence)")
        axes[clean] = arr.astype(float)
    return axes


def _check_metrics(metrics: Any) -> tuple[str, ...]:
    if metrics is None:
        return DEFAULT_METRICS
    if isinstance(metrics, str):
        metrics = [metrics]
    out: list[str] = []
    for m in metrics:
        if m not in METRICS:
            raise ParameterError(f"unknown metric {m!r}; metrics: {', '.join(METRICS)}")
        if m not in out:
            out.append(m)
    if not out:
        raise ParameterError(f"metrics is empty; choose from {', '.join(METRICS)}")
    return tuple(out)


# ---------------------------------------------------------------------------- blocks
def _check_result_size(shape: tuple, metrics: tuple, repeats: int) -> None:
    """Refuse up front a sweep whose result arrays would not fit :data:`RESULT_BUDGET_BYTES`."""
    total = math.prod(shape)
    per_point = 8 * len(metrics) * (2 if repeats > 1 else 1)
    if total * per_point > RESULT_BUDGET_BYTES:
        fit = RESULT_BUDGET_BYTES // per_point
        raise ParameterError(
            f"a sweep of shape {shape} ({total:,} points) with {len(metrics)} metric(s)"
            + (f" and {repeats} repeats" if repeats > 1 else "")
            + f" needs {total * per_point / 2**30:.1f} GiB of result arrays, over the budget of "
            f"{RESULT_BUDGET_BYTES / 2**30:g} GiB: it can hold {fit:,} points; sweep fewer points or "
            "metrics, or split the grid into several sweeps"
        )


def _evaluate_block(system: System, keys: tuple, values: tuple, seed: int, metrics: tuple) -> dict[str, np.ndarray]:
    """Evaluate one block (runs on workers): ``{metric: 1-D float array in C order}``."""
    nd = len(values)
    overrides: dict[str, np.ndarray] = {}
    for i, (key, v) in enumerate(zip(keys, values)):
        shape = [1] * nd
        shape[i] = -1
        overrides[key] = np.asarray(v, dtype=float).reshape(shape)
    ev = evaluate(system, overrides, seed=seed)
    block_shape = tuple(len(v) for v in values)
    return {m: np.broadcast_to(np.asarray(ev.metric(m), dtype=float), block_shape).reshape(-1) for m in metrics}


class NoWorkersError(RuntimeError):
    """A cluster executor has no workers left to run the sweep's blocks."""


def _result(fut: Any, executor: Any) -> Any:
    """A block's result. With a Dask client, check every :data:`WORKER_CHECK_SECONDS`
    that it still has workers: a cluster with none fails the sweep instead of hanging."""
    nthreads = getattr(executor, "nthreads", None)
    if not callable(nthreads):
        return fut.result()
    import asyncio  # Dask's futures time out with asyncio's TimeoutError (loaded by Dask already)

    while True:
        try:
            return fut.result(timeout=WORKER_CHECK_SECONDS)
        except (TimeoutError, FuturesTimeoutError, asyncio.TimeoutError):  # (one class from Python 3.11)
            if not sum(nthreads().values()):
                raise NoWorkersError(
                    f"the Dask cluster has no workers (checked after {WORKER_CHECK_SECONDS:g} s without a "
                    "result): start workers, or run the sweep locally"
                ) from None


def _max_in_flight(executor: Any) -> int:
    """How many blocks to keep submitted at once (bounded memory, workers kept busy)."""
    n = getattr(executor, "_max_workers", None)
    if n is None and hasattr(executor, "nthreads"):
        try:  # distributed.Client
            n = sum(executor.nthreads().values())
        except Exception:
            n = None
    return max(2, 2 * int(n or 4))


# ---------------------------------------------------------------------------- sweep
def sweep(
    system: System,
    params: Mapping,
    *,
    metrics: Any = None,
    seed: int = 0,
    repeats: int = 1,
    executor: Any = None,
    chunk_size: int | None = None,
    progress: bool | Callable[[int, int], object] | None = None,
) -> SweepResult:
    """Evaluate ``system`` over the grid spanned by ``params`` -> :class:`SweepResult`.

    Parameters
    ----------
    system : System
    params : mapping
        Ordered ``"Stage.param"`` (or ``"year"``) -> 1-D values. Any numeric stage or
        detector parameter (``twidgets.model.params.NUMERIC_PARAMS``); axis i of every
        result array follows the i-th key.
    metrics : sequence of str, optional
        Names from ``twidgets.model.evaluate.METRICS``; default :data:`DEFAULT_METRICS`
        (f1, precision, recall, power [W], scaled_power [W], productivity [relevant
        events per J], output_rate [events/s stored]).
    seed : int
        First Monte-Carlo seed.
    repeats : int
        Independent classifier sample sets, seeds ``seed .. seed + repeats - 1``;
        :meth:`SweepResult.metric` is their mean, :meth:`SweepResult.spread` their
        standard deviation (ddof=1; 0 when ``repeats == 1``).
    executor : concurrent.futures.Executor or distributed.Client, optional
        Evaluate blocks on it; the result is identical to the local one.
    chunk_size : int, optional
        Points per evaluate call (default :data:`DEFAULT_CHUNK_SIZE`); bounds memory.
        A sweep whose result arrays exceed :data:`RESULT_BUDGET_BYTES` is refused.
    progress : None, bool or callable(done, total)
        None: a progress bar when the sweep should take more than ~1 s; True/False force
        it on/off; a callable receives ``(points done, total points)`` where points count
        every repeat.
    """
    _check_system(system)
    axes = sweep_axes(system, params)
    metric_names = _check_metrics(metrics)
    seed = _check_int(seed, "seed", 0)
    repeats = _check_int(repeats, "repeats", 1)
    chunk_size = DEFAULT_CHUNK_SIZE if chunk_size is None else _check_int(chunk_size, "chunk_size", 1)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise ParameterError(
            f"executor must have a submit() method (concurrent.futures.Executor or "
            f"distributed.Client), got {type(executor).__name__}"
        )

    keys = tuple(axes)
    shape = tuple(len(a) for a in axes.values())
    total = math.prod(shape)
    _check_result_size(shape, metric_names, repeats)
    n_blocks = count_blocks(shape, chunk_size)
    seeds = list(range(seed, seed + repeats))
    mean = {m: np.zeros(total) for m in metric_names}
    m2 = {m: np.zeros(total) for m in metric_names} if repeats > 1 else None

    expected = total * repeats * _SECONDS_PER_POINT + n_blocks * repeats * _SECONDS_PER_CALL
    started = time.perf_counter()

    def tasks() -> Iterator[tuple[int, int, int, tuple]]:  # seed-major: a seed's samples are built once
        for k, s in enumerate(seeds):
            for start, stop, slices in plan_blocks(shape, chunk_size):
                values = tuple(axes[key][sl] for key, sl in zip(keys, slices))
                yield k, start, stop, (system, keys, values, s, metric_names)

    def combine(k: int, start: int, stop: int, out: Mapping[str, np.ndarray]) -> None:
        for m in metric_names:
            x = out[m]
            if m2 is None:
                mean[m][start:stop] = x
                continue
            cur = mean[m][start:stop]
            delta = x - cur
            cur += delta / (k + 1)
            m2[m][start:stop] += delta * (x - cur)

    with progress_reporter(progress, total * repeats, expected) as bar:
        if executor is None:
            for k, start, stop, args in tasks():
                combine(k, start, stop, _evaluate_block(*args))
                bar.update(stop - start)
        else:
            window = _max_in_flight(executor)
            pending: list[tuple[int, int, int, Future]] = []
            for k, start, stop, args in tasks():
                pending.append((k, start, stop, executor.submit(_evaluate_block, *args)))
                if len(pending) >= window:
                    k0, a0, b0, fut = pending.pop(0)
                    combine(k0, a0, b0, _result(fut, executor))
                    bar.update(b0 - a0)
            for k0, a0, b0, fut in pending:
                combine(k0, a0, b0, _result(fut, executor))
                bar.update(b0 - a0)

    metric_arrays = {m: mean[m].reshape(shape) for m in metric_names}
    if m2 is None:  # no spread: one shared read-only zero, not an array per metric
        spread_arrays = {m: np.broadcast_to(0.0, shape) for m in metric_names}
    else:
        spread_arrays = {}
        for m in metric_names:  # in place: no third array per metric
            np.maximum(m2[m], 0.0, out=m2[m])
            m2[m] /= repeats - 1
            spread_arrays[m] = np.sqrt(m2[m], out=m2[m]).reshape(shape)
    provenance = {
        "system": system.name,
        "seed": seed,
        "repeats": repeats,
        "seeds": seeds,
        "twidgets_version": _version(),
        "numpy_version": np.__version__,
        "params": {k: [float(v) for v in a] for k, a in axes.items()},
        "metrics": list(metric_names),
        "shape": list(shape),
        "year": system.year,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
        "executor": None if executor is None else type(executor).__name__,
    }
    return SweepResult(axes, metric_arrays, spread_arrays, provenance, system=system)
