"""The result of a sweep: metrics on the grid, their Monte-Carlo spread, CSV in and out.

CSV files start with two ``#`` comment lines (the second ``# provenance: {json}``), then
one row per grid point. Text cells that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return -- e.g. a stage named
``+cmd|' /C calc'!A0`` in a column header) are written with a leading ``'`` and read back
without it. Files are written to a temporary file in the target directory and renamed into
place, so a reader (or a concurrent writer) never sees half a file.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
import pandas as pd

from .errors import ParameterError

__all__ = ["SweepResult", "read_provenance", "neutralise_cell", "CSV_ROWS_PER_WRITE"]

_PROVENANCE_PREFIX = "# provenance: "
#: Characters that make a spreadsheet treat a text cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Rows converted to text at a time when writing CSV (bounds the memory of the text).
CSV_ROWS_PER_WRITE = 65_536


def neutralise_cell(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _restore_cell(text: str) -> str:
    """Inverse of :func:`neutralise_cell`."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


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

    def _csv_header(self) -> str:
        return "# twidgets sweep result\n" + _PROVENANCE_PREFIX + json.dumps(self.provenance) + "\n"

    def _write_csv(self, stream: IO[str]) -> None:
        stream.write(self._csv_header())
        total = math.prod(self.shape)
        for start in range(0, max(total, 1), CSV_ROWS_PER_WRITE):
            df = self.to_dataframe(flat_index=np.arange(start, min(start + CSV_ROWS_PER_WRITE, total)))
            df.columns = [neutralise_cell(str(c)) for c in df.columns]
            df.to_csv(stream, index=False, header=start == 0, lineterminator="\n")

    def to_csv_text(self) -> str:
        """The CSV file as a string (see :meth:`to_csv`); formula-looking text neutralised."""
        buf = io.StringIO()
        self._write_csv(buf)
        return buf.getvalue()

    def to_csv(self, path: Any) -> None:
        """Write :meth:`to_dataframe` as CSV after two ``#`` comment lines, the second
        being ``# provenance: {json}``, to a path or an open text stream.

        A path is written atomically: to a temporary file in the same directory, then
        renamed over ``path`` (concurrent writers leave one complete file). Text cells a
        spreadsheet would run as formulas get a leading ``'``. Read back with
        ``pandas.read_csv(path, comment="#")`` (data only), :func:`read_provenance` or
        :meth:`from_csv`.
        """
        if hasattr(path, "write"):  # an open text stream (e.g. sys.stdout)
            self._write_csv(path)
            return
        target = os.fspath(path)
        fd, tmp = tempfile.mkstemp(
            prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=os.path.dirname(target) or "."
        )
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
                self._write_csv(f)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; a result file is for sharing
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    @classmethod
    def from_csv(cls, path) -> SweepResult:
        """Rebuild a result written by :meth:`to_csv` (values are written at full precision)."""
        prov = read_provenance(path)
        params = {k: np.asarray(v, dtype=float) for k, v in prov["params"].items()}
        shape = tuple(len(v) for v in params.values())
        df = pd.read_csv(path, comment="#")
        df.columns = [_restore_cell(str(c)) for c in df.columns]
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
