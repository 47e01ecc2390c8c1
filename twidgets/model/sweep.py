"""N-D parameter sweeps, Monte-Carlo repeats and one-at-a-time sensitivity.

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
Memory stays bounded by the block size whatever the grid size.

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

import json
import math
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .errors import ParameterError
from .evaluate import METRICS, evaluate
from .params import RULES, check_values, split_param
from .progress import progress_reporter
from .spec import System

__all__ = [
    "sweep",
    "SweepResult",
    "sensitivity",
    "DEFAULT_METRICS",
    "DEFAULT_CHUNK_SIZE",
    "sweep_axes",
    "plan_blocks",
    "read_provenance",
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
_PROVENANCE_PREFIX = "# provenance: "


# ---------------------------------------------------------------------------- validation
def _version() -> str:
    from .. import __version__

    return __version__


def _check_system(system) -> System:
    if not isinstance(system, System):
        raise ParameterError(
            f"expected a System (e.g. twidgets.load_system('cms-hllhc-pu200')), got {type(system).__name__}"
        )
    return system


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_param_name(system: System, key) -> tuple[str, tuple]:
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


def sweep_axes(system: System, params) -> dict:
    """Validate sweep ``params`` up front; returns ``{"Stage.param": 1-D float array}`` in order.

    Raises :class:`ParameterError` naming the bad key: unknown node or parameter (listing
    the valid ones), a structural parameter, the same parameter twice, empty, not 1-D,
    non-numeric or out-of-range values (the rules of :mod:`twidgets.model.params`).
    """
    _check_system(system)
    if not isinstance(params, Mapping) or not params:
        raise ParameterError(
            "params must be a non-empty mapping 'Stage.param' -> 1-D values, e.g. "
            "{'Intermediate.reduction_ratio': numpy.linspace(450, 40, 101)}"
        )
    axes = {}
    seen = {}
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


def _check_metrics(metrics) -> tuple:
    if metrics is None:
        return DEFAULT_METRICS
    if isinstance(metrics, str):
        metrics = [metrics]
    out = []
    for m in metrics:
        if m not in METRICS:
            raise ParameterError(f"unknown metric {m!r}; metrics: {', '.join(METRICS)}")
        if m not in out:
            out.append(m)
    if not out:
        raise ParameterError(f"metrics is empty; choose from {', '.join(METRICS)}")
    return tuple(out)


# ---------------------------------------------------------------------------- blocks
def plan_blocks(shape: tuple, chunk_size: int):
    """Yield ``(start, stop, slices)``: the grid cut into sub-grid blocks of <= chunk_size points.

    Each block fixes the indices of the axes before a *split axis*, takes a run of
    indices along it and everything along the later axes, so it covers the contiguous
    C-order range ``[start, stop)`` of the flattened grid. (A block holds at least one
    run of the last axis, so chunk_size is a target when the last axis is longer.)
    """
    shape = tuple(int(s) for s in shape)
    total = math.prod(shape)
    if total <= chunk_size:
        yield 0, total, tuple(slice(0, s) for s in shape)
        return
    tails = [math.prod(shape[i + 1 :]) for i in range(len(shape))]
    k = next(i for i, t in enumerate(tails) if t <= chunk_size)
    run = max(1, chunk_size // tails[k])
    for prefix in np.ndindex(*shape[:k]):
        base = int(np.ravel_multi_index(prefix, shape[:k])) * shape[k] if k else 0
        for a in range(0, shape[k], run):
            b = min(a + run, shape[k])
            slices = (
                tuple(slice(i, i + 1) for i in prefix) + (slice(a, b),) + tuple(slice(0, s) for s in shape[k + 1 :])
            )
            yield (base + a) * tails[k], (base + b) * tails[k], slices


def _evaluate_block(system: System, keys: tuple, values: tuple, seed: int, metrics: tuple) -> dict:
    """Evaluate one block (runs on workers): ``{metric: 1-D float array in C order}``."""
    nd = len(values)
    overrides = {}
    for i, (key, v) in enumerate(zip(keys, values)):
        shape = [1] * nd
        shape[i] = -1
        overrides[key] = np.asarray(v, dtype=float).reshape(shape)
    ev = evaluate(system, overrides, seed=seed)
    block_shape = tuple(len(v) for v in values)
    return {m: np.broadcast_to(np.asarray(ev.metric(m), dtype=float), block_shape).reshape(-1) for m in metrics}


def _max_in_flight(executor) -> int:
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
    metrics=None,
    seed: int = 0,
    repeats: int = 1,
    executor=None,
    chunk_size: int | None = None,
    progress=None,
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
    progress : None, bool or callable(done, total)
        None: a progress bar when the sweep should take more than ~1 s; True/False force
        it on/off; a callable receives ``(points done, total points)`` where points count
        every repeat.
    """
    _check_system(system)
    axes = sweep_axes(system, params)
    metrics = _check_metrics(metrics)
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
    blocks = list(plan_blocks(shape, chunk_size))
    seeds = list(range(seed, seed + repeats))
    mean = {m: np.zeros(total) for m in metrics}
    m2 = {m: np.zeros(total) for m in metrics} if repeats > 1 else None

    expected = total * repeats * _SECONDS_PER_POINT + len(blocks) * repeats * _SECONDS_PER_CALL
    started = time.perf_counter()

    def tasks():  # seed-major: each process builds a seed's classifier samples once
        for k, s in enumerate(seeds):
            for start, stop, slices in blocks:
                values = tuple(axes[key][sl] for key, sl in zip(keys, slices))
                yield k, start, stop, (system, keys, values, s, metrics)

    def combine(k, start, stop, out):
        for m in metrics:
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
            pending = []
            for k, start, stop, args in tasks():
                pending.append((k, start, stop, executor.submit(_evaluate_block, *args)))
                if len(pending) >= window:
                    k0, a0, b0, fut = pending.pop(0)
                    combine(k0, a0, b0, fut.result())
                    bar.update(b0 - a0)
            for k0, a0, b0, fut in pending:
                combine(k0, a0, b0, fut.result())
                bar.update(b0 - a0)

    metric_arrays = {m: mean[m].reshape(shape) for m in metrics}
    if m2 is None:
        spread_arrays = {m: np.zeros(shape) for m in metrics}
    else:
        spread_arrays = {m: np.sqrt(np.maximum(m2[m], 0.0) / (repeats - 1)).reshape(shape) for m in metrics}
    provenance = {
        "system": system.name,
        "seed": seed,
        "repeats": repeats,
        "seeds": seeds,
        "twidgets_version": _version(),
        "numpy_version": np.__version__,
        "params": {k: [float(v) for v in a] for k, a in axes.items()},
        "metrics": list(metrics),
        "shape": list(shape),
        "year": system.year,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
        "executor": None if executor is None else type(executor).__name__,
    }
    return SweepResult(axes, metric_arrays, spread_arrays, provenance, system=system)


# ---------------------------------------------------------------------------- result
class SweepResult:
    """The metrics of a sweep on its grid, with their spread over Monte-Carlo repeats.

    Attributes
    ----------
    params : dict
        ``"Stage.param"`` -> 1-D values; axis i of every array follows the i-th key.
    shape : tuple
        Grid shape (one entry per parameter).
    metrics : tuple of str
        Computed metric names (units as in :class:`twidgets.Evaluation`: W, events/s,
        relevant events per J).
    repeats, seed : int
    provenance : dict
        JSON-ready: system name, seed, seeds, repeats, package and numpy versions, params,
        metrics, shape, year, date (UTC), wall time, executor.
    system : System or None
        The swept system (None when read back from a CSV file).
    """

    def __init__(self, params: Mapping, metrics: Mapping, spreads: Mapping, provenance: dict, *, system=None):
        self.params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
        self.shape = tuple(len(v) for v in self.params.values())
        self._metrics = {m: np.asarray(a, dtype=float).reshape(self.shape) for m, a in metrics.items()}
        self._spreads = {m: np.asarray(a, dtype=float).reshape(self.shape) for m, a in spreads.items()}
        self.metrics = tuple(self._metrics)
        self.provenance = dict(provenance)
        self.repeats = int(self.provenance.get("repeats", 1))
        self.seed = int(self.provenance.get("seed", 0))
        self.system = system

    # -------------------------------------------------------------- arrays
    def _get(self, store: dict, name: str) -> np.ndarray:
        if name not in store:
            raise ParameterError(
                f"metric {name!r} was not computed in this sweep; computed: "
                f"{', '.join(self.metrics)} (pass metrics=[...] to sweep())"
            )
        return store[name].copy()

    def metric(self, name: str) -> np.ndarray:
        """Mean of ``name`` over the repeats, shaped by the params."""
        return self._get(self._metrics, name)

    def spread(self, name: str) -> np.ndarray:
        """Standard deviation of ``name`` over the repeats (ddof=1; 0 with one repeat or
        where no Monte-Carlo classifier matters)."""
        return self._get(self._spreads, name)

    def smoothed(self, name: str, sigma: float = 3.0) -> np.ndarray:
        """``scipy.ndimage.gaussian_filter`` of the mean (sigma in grid steps; the seed's
        figures use 3)."""
        from scipy.ndimage import gaussian_filter

        if (
            isinstance(sigma, bool)
            or not isinstance(sigma, (int, float, np.integer, np.floating))
            or not np.isfinite(sigma)
            or sigma < 0
        ):
            raise ParameterError(f"sigma must be a number >= 0 (grid steps), got {sigma!r}")
        return gaussian_filter(self.metric(name), sigma=float(sigma))

    def grid(self) -> dict:
        """``"Stage.param"`` -> array of the grid's shape (``numpy.meshgrid(indexing="ij")``)."""
        mesh = np.meshgrid(*self.params.values(), indexing="ij")
        return dict(zip(self.params, mesh))

    def point(self, index) -> dict:
        """The parameter values at a grid index (tuple) or flat index (int)."""
        if isinstance(index, (int, np.integer)):
            index = np.unravel_index(int(index), self.shape)
        return {k: float(v[i]) for (k, v), i in zip(self.params.items(), index)}

    # -------------------------------------------------------------- selections
    def best(self, metric: str, maximize: bool = True) -> dict:
        """The parameter point where the mean of ``metric`` is largest (or smallest);
        NaN cells are ignored."""
        values = self.metric(metric)
        if np.isnan(values).all():
            raise ParameterError(f"metric {metric!r} is NaN at every point of the sweep")
        flat = np.nanargmax(values) if maximize else np.nanargmin(values)
        return self.point(int(flat))

    def pareto(self, x: str = "scaled_power", y: str = "f1") -> pd.DataFrame:
        """The non-dominated points for minimising ``x`` and maximising ``y``.

        A point is dominated when another has ``x`` <= and ``y`` >= with one strict.
        Returns the tidy rows (params and metrics) of the front, sorted by ``x``; points
        where either metric is NaN are left out.
        """
        xs = self.metric(x).reshape(-1)
        ys = self.metric(y).reshape(-1)
        ok = np.flatnonzero(~(np.isnan(xs) | np.isnan(ys)))
        if ok.size == 0:
            return self.to_dataframe().iloc[0:0]
        order = ok[np.lexsort((-ys[ok], xs[ok]))]  # x ascending, then y descending
        sx, sy = xs[order], ys[order]
        new = np.ones(len(order), dtype=bool)  # first of each group of identical (x, y)
        new[1:] = (sx[1:] != sx[:-1]) | (sy[1:] != sy[:-1])
        group = np.cumsum(new) - 1
        gy = sy[new]
        # a distinct point is non-dominated iff its y beats every earlier (smaller x, or
        # same x and larger y) distinct point
        prev_best = np.concatenate([[-np.inf], np.maximum.accumulate(gy)[:-1]])
        keep = (gy > prev_best)[group]
        idx = order[keep]
        return self.to_dataframe(flat_index=idx).reset_index(drop=True)

    # -------------------------------------------------------------- export
    def to_dataframe(self, flat_index=None) -> pd.DataFrame:
        """Tidy table: one row per point (C order); param columns, metric columns, then
        ``<metric>_std`` columns when repeats > 1."""
        idx = np.arange(math.prod(self.shape)) if flat_index is None else np.asarray(flat_index, dtype=int)
        sub = np.unravel_index(idx, self.shape)
        cols = {k: v[i] for (k, v), i in zip(self.params.items(), sub)}
        for m in self.metrics:
            cols[m] = self._metrics[m].reshape(-1)[idx]
        if self.repeats > 1:
            for m in self.metrics:
                cols[f"{m}_std"] = self._spreads[m].reshape(-1)[idx]
        return pd.DataFrame(cols)

    def to_csv(self, path) -> None:
        """Write (to a path or an open text stream) :meth:`to_dataframe` as CSV after two ``#`` comment lines, the second
        being ``# provenance: {json}``. Read back with ``pandas.read_csv(path,
        comment="#")`` (data only), :func:`read_provenance` or :meth:`from_csv`."""
        header = "# twidgets sweep result\n" + _PROVENANCE_PREFIX + json.dumps(self.provenance) + "\n"
        if hasattr(path, "write"):  # an open text stream (e.g. sys.stdout)
            path.write(header)
            self.to_dataframe().to_csv(path, index=False, lineterminator="\n")
            return
        with open(path, "w", newline="", encoding="utf-8") as f:
            f.write(header)
            self.to_dataframe().to_csv(f, index=False, lineterminator="\n")

    @classmethod
    def from_csv(cls, path) -> SweepResult:
        """Rebuild a result written by :meth:`to_csv` (values are written at full precision)."""
        prov = read_provenance(path)
        params = {k: np.asarray(v, dtype=float) for k, v in prov["params"].items()}
        shape = tuple(len(v) for v in params.values())
        df = pd.read_csv(path, comment="#")
        missing = [c for c in list(params) + list(prov["metrics"]) if c not in df.columns]
        if missing or len(df) != math.prod(shape):
            raise ParameterError(
                f"{path}: not a sweep table matching its provenance "
                f"(missing columns {missing}, {len(df)} rows for shape {shape})"
            )
        metrics = {m: df[m].to_numpy(float) for m in prov["metrics"]}
        spreads = {
            m: df[f"{m}_std"].to_numpy(float) if f"{m}_std" in df else np.zeros(len(df)) for m in prov["metrics"]
        }
        return cls(params, metrics, spreads, prov)

    def __repr__(self):
        dims = " x ".join(f"{k}[{n}]" for k, n in zip(self.params, self.shape))
        return f"<SweepResult {self.provenance.get('system')!r} {dims}, repeats={self.repeats}>"


def read_provenance(path) -> dict:
    """The provenance dict stored in the leading comment lines of a sweep CSV."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            if line.startswith(_PROVENANCE_PREFIX):
                return json.loads(line[len(_PROVENANCE_PREFIX) :])
    raise ParameterError(
        f"{path}: no '{_PROVENANCE_PREFIX.strip()}' line before the data; was it written by SweepResult.to_csv?"
    )


# ---------------------------------------------------------------------------- sensitivity
#: Typical magnitude per parameter, used for the absolute step when the value is 0.
ZERO_VALUE_SCALE = {
    "data_bytes": 1e6,
    "sample_rate": 4e7,
    "skill_mean": 1.0,
    "skill_boost": 1.0,
    "skill_scale": 1.0,
    "link_efficiency": 1e-11,
    "op_efficiency": 1e-3,
    "compression": 1.0,
    "reduction_ratio": 1.0,
}
_N_LARGEST_DETECTORS = 3


def default_sensitivity_params(system: System) -> list[str]:
    """All numeric parameters of the stages that select (not Dummy) -- without skill_mean /
    skill_scale unless the classifier is Gaussian -- plus ``data_bytes`` of the three
    detectors with the largest payload."""
    out = []
    for n in system.nodes:
        if n.kind != "stage" or n.classifier == "Dummy":
            continue
        for p in n.params:
            if p in ("skill_mean", "skill_scale") and n.classifier != "Gaussian":
                continue
            out.append(f"{n.name}.{p}")
    dets = sorted((n for n in system.nodes if n.kind == "detector"), key=lambda n: -n.params["data_bytes"])
    out += [f"{n.name}.data_bytes" for n in dets[:_N_LARGEST_DETECTORS] if n.params["data_bytes"] > 0]
    return out


def _clip_to_rule(param: str, x: float) -> float:
    lo, lo_inc, hi, hi_inc, _ = RULES[param]
    if x < lo or (x == lo and not lo_inc):
        x = lo if lo_inc else float(np.nextafter(lo, np.inf))
    if x > hi or (x == hi and not hi_inc):
        x = hi if hi_inc else float(np.nextafter(hi, -np.inf))
    return float(x)


def sensitivity(
    system: System, params=None, *, metric: str = "productivity", rel_step: float = 0.1, seed: int = 0
) -> pd.DataFrame:
    """One-at-a-time sensitivity of ``metric`` around the system's current point.

    Each parameter is moved to ``value * (1 - rel_step)`` and ``value * (1 + rel_step)``
    with every other parameter at its current value. Special cases:

    * a parameter whose current value is 0 moves by the *absolute* step
      ``rel_step * ZERO_VALUE_SCALE[param]`` (e.g. skill_boost 0 -> +/-0.1 score units,
      compression 0 -> +0.1, data_bytes 0 -> +/-100 kB at the default rel_step);
    * ``year`` moves by ``max(1, round(10 * rel_step))`` years;
    * values are clipped into the parameter's valid range (RR >= 1, compression < 1,
      sizes >= 0, ...), so low or high may equal the base value.

    All points are evaluated in ONE vectorised :func:`twidgets.evaluate` call.

    Parameters
    ----------
    params : sequence of "Stage.param", optional
        Default :func:`default_sensitivity_params`.
    metric : str
        A name from ``twidgets.model.evaluate.METRICS`` (productivity: relevant events/J).

    Returns
    -------
    DataFrame with columns param, base_value, low_value, high_value, metric_low,
    metric_base, metric_high, effect (= metric_high - metric_low), sorted by |effect|
    (largest first, NaN last) -- ready for a tornado chart.
    """
    _check_system(system)
    _check_metrics([metric])
    seed = _check_int(seed, "seed", 0)
    if (
        isinstance(rel_step, bool)
        or not isinstance(rel_step, (int, float, np.integer, np.floating))
        or not (0 < rel_step < 1)
    ):
        raise ParameterError(f"rel_step must be a fraction in (0, 1), got {rel_step!r}")
    if params is None:
        params = default_sensitivity_params(system)
    elif isinstance(params, str) or not isinstance(params, (Sequence, Mapping, set, frozenset, tuple)):
        raise ParameterError(f"params must be a list of 'Stage.param' names, got {params!r}")
    keys, canon = [], {}
    for key in params:
        clean, c = _check_param_name(system, key)
        if c in canon:
            raise ParameterError(f"parameter {key!r} is listed twice (as {canon[c]!r})")
        canon[c] = key
        keys.append(clean)
    if not keys:
        raise ParameterError("params is empty: name at least one 'Stage.param'")

    rows = []
    for key in keys:
        node, param = split_param(key)
        base = float(system.param(key))
        if param == "year":
            step = max(1, round(10 * rel_step))
            low, high = base - step, base + step
        elif base == 0:
            step = rel_step * ZERO_VALUE_SCALE.get(param, 1.0)
            low, high = base - step, base + step
        else:
            low, high = base * (1 - rel_step), base * (1 + rel_step)
        low, high = sorted((_clip_to_rule(param, low), _clip_to_rule(param, high)))
        rows.append((key, base, low, high))

    n = 1 + 2 * len(rows)
    overrides = {}
    for i, (key, base, low, high) in enumerate(rows):
        col = np.full(n, base)
        col[1 + 2 * i] = low
        col[2 + 2 * i] = high
        overrides[key] = col
    values = np.asarray(evaluate(system, overrides, seed=seed).metric(metric), dtype=float)
    base_metric = float(values[0])
    out = pd.DataFrame(
        {
            "param": [r[0] for r in rows],
            "base_value": [r[1] for r in rows],
            "low_value": [r[2] for r in rows],
            "high_value": [r[3] for r in rows],
            "metric_low": values[1::2],
            "metric_base": base_metric,
            "metric_high": values[2::2],
        }
    )
    out["effect"] = out["metric_high"] - out["metric_low"]
    order = np.argsort(-np.abs(out["effect"].to_numpy()), kind="stable")  # NaN sorts last
    return out.iloc[order].reset_index(drop=True)
