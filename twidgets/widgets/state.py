"""The dashboard's state in plain Python, and its URL query string (deep links).

One :class:`DashboardState` holds the only source of truth of a dashboard: one immutable
:class:`~twidgets.System`, at most a short list of what-if ``overrides`` (``"Stage.param" ->
number``) that can be applied to the system or reset, the baseline the headline compares
against, and the view (tab, inspected stage, explorer axes, ranges and metric).

Links. :func:`parse_query` reads a page's query string, e.g.
``?system=cms-run3-pu60&Intermediate.reduction_ratio=100&tab=explore``: ``system`` (a
bundled name, never a path), ``scenario`` (a published scenario's name), overrides
written ``Stage.param=value`` (numeric parameters only), ``stage``, ``x``, ``y``,
``x_range`` / ``y_range`` (``start,stop,num``), ``metric``, ``tab``, ``seed``.
Unknown or invalid entries are named in :attr:`QueryState.messages` and ignored;
nothing in a link is evaluated or opened as a file. :meth:`DashboardState.to_query`
writes the inverse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlencode

import numpy as np

from ..model import Evaluation, ParameterError, System, evaluate, list_systems, load_system
from ..model.display import label
from ..model.io import default_system
from ..model.params import check_values, split_param

__all__ = ["TABS", "METRIC_KEYS", "View", "QueryState", "DashboardState", "parse_query", "MAX_QUERY"]

#: The dashboard's tabs (query value -> title).
TABS = {"explore": "Explore", "design": "Design", "flow": "Flow", "compare": "Compare"}
#: Metrics the explorer maps (query ``metric=``).
METRIC_KEYS = ("f1", "precision", "recall", "power", "scaled_power", "productivity")
#: Longest query string read (characters); longer ones are refused with a message.
MAX_QUERY = 4096
#: Most overrides a link may carry.
MAX_OVERRIDES = 32
_MAX_POINTS = 401


@dataclass(frozen=True)
class View:
    """What the dashboard shows of its state. ``None`` = the widget's own default."""

    tab: str = "explore"
    stage: str | None = None
    x: str | None = None
    y: str | None = None
    x_range: tuple[float, float, int] | None = None
    y_range: tuple[float, float, int] | None = None
    metric: str = "f1"


@dataclass(frozen=True)
class QueryState:
    """What a query string asked for, validated. ``messages`` name what was ignored and why."""

    system: str | None = None
    scenario: str | None = None
    overrides: dict = field(default_factory=dict)
    view: View = View()
    seed: int | None = None
    messages: tuple[str, ...] = ()


def _scenarios():
    from ..model.registry import all_scenarios

    return all_scenarios()


def _number(text: str) -> float:
    v = float(text)  # float() parses numbers only: no expression is evaluated
    if not math.isfinite(v):
        raise ValueError(text)
    return v


def _range(text: str) -> tuple[float, float, int]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        raise ValueError(text)
    start, stop = _number(parts[0]), _number(parts[1])
    num = int(parts[2])
    if not 2 <= num <= _MAX_POINTS:
        raise ValueError(text)
    return start, stop, num


def parse_query(query: str) -> QueryState:
    """Validate a URL query string (with or without the leading ``?``) into a :class:`QueryState`.

    Structure only: system and scenario names are checked against the bundled ones,
    numbers parsed, tab and metric checked; whether a parameter exists in the chosen
    system is checked by :meth:`DashboardState.from_query`.
    """
    text = (query or "").lstrip("?")
    messages: list[str] = []
    if len(text) > MAX_QUERY:
        return QueryState(
            messages=(f"link ignored: its query is {len(text)} characters, at most {MAX_QUERY} are read",)
        )
    pairs = parse_qsl(text, keep_blank_values=True)
    system = scenario = None
    seed = None
    overrides: dict[str, float] = {}
    view: dict = {}
    for key, value in pairs:
        key, value = key.strip(), value.strip()
        shown = f"{key}={value}"[:80]
        if key == "system":
            if value in list_systems():
                system = value
            else:
                messages.append(f"unknown system {value!r} ignored; bundled systems: {', '.join(list_systems())}")
        elif key == "scenario":
            names = {s.name.lower(): s.name for s in _scenarios()}
            if value.lower() in names:
                scenario = names[value.lower()]
            else:
                messages.append(f"unknown scenario {value!r} ignored; scenarios: {', '.join(names.values())}")
        elif key == "tab":
            if value.lower() in TABS:
                view["tab"] = value.lower()
            else:
                messages.append(f"unknown tab {value!r} ignored; tabs: {', '.join(TABS)}")
        elif key == "metric":
            if value in METRIC_KEYS:
                view["metric"] = value
            else:
                messages.append(f"unknown metric {value!r} ignored; metrics: {', '.join(METRIC_KEYS)}")
        elif key in ("stage", "x", "y"):
            view[key] = value
        elif key in ("x_range", "y_range"):
            try:
                view[key] = _range(value)
            except ValueError:
                messages.append(f"{shown!r} ignored: write {key}=start,stop,points with 2 to {_MAX_POINTS} points")
        elif key == "seed":
            try:
                seed = int(value)
                if not 0 <= seed < 2**32:
                    raise ValueError(value)
            except ValueError:
                messages.append(f"{shown!r} ignored: the seed is a whole number from 0 to 2**32 - 1")
        elif "." in key or key == "year":
            try:
                node, param = split_param(key)
                number = _number(value)
                check_values(param, number, f"{label(key)} ({key})")
            except ParameterError as exc:
                messages.append(f"{shown!r} ignored: {exc}")
            except ValueError:
                messages.append(f"{shown!r} ignored: {label(key)} ({key}) needs a number, got {value!r}")
            else:
                if len(overrides) >= MAX_OVERRIDES:
                    messages.append(f"{shown!r} ignored: a link holds at most {MAX_OVERRIDES} parameters")
                else:
                    overrides["year" if param == "year" and node is None else key] = number
        else:
            messages.append(f"unknown link parameter {key!r} ignored")
    return QueryState(system, scenario, overrides, View(**view), seed, tuple(messages))


class DashboardState:
    """One System + what-if overrides + baseline + view: the dashboard's source of truth.

    Parameters
    ----------
    system : System
    source : str
        What the system was loaded as: ``"system:<bundled name>"``, ``"scenario:<name>"``,
        ``"variant:<name>"`` (a Compare row), ``"upload:<file name>"`` or ``"edited"``.
    seed : int
        Monte-Carlo seed of every evaluation.

    Every change returns nothing and replaces attributes; :meth:`evaluation` and
    :meth:`baseline_evaluation` are cached per state.
    """

    def __init__(self, system: System, source: str = "edited", *, seed: int = 0, view: View | None = None):
        self.system = system
        self.source = source
        self.seed = int(seed)
        self.overrides: dict[str, float] = {}
        self.view = view or View()
        self.baseline = system
        self.baseline_source = source
        self._cache: dict = {}

    # ------------------------------------------------------------------ what is shown
    @property
    def scenario(self) -> str | None:
        """The published scenario loaded, if the system came from one."""
        kind, _, name = self.source.partition(":")
        return name if kind == "scenario" else None

    @property
    def title(self) -> str:
        """``"cms-hllhc-pu200"``, ``"cms-hllhc-pu200 / scenario Phase-1"``, ``"my.xlsx (uploaded)"``."""
        kind, _, name = self.source.partition(":")
        if kind == "scenario":
            return f"{self.system.name} / scenario {name}"
        if kind == "variant":
            return f"{self.system.name} / {name}"
        if kind == "upload":
            return f"{name} (uploaded)"
        if kind == "edited" or self.source == "edited":
            return f"{self.system.name} (edited)"
        return self.system.name

    def evaluation(self) -> Evaluation:
        """The evaluation of what is on screen (system + overrides), cached."""
        key = (tuple(sorted(self.overrides.items())), self.seed)
        hit = self._cache.get("ev")
        if hit is None or hit[0] is not self.system or hit[1] != key:
            hit = (self.system, key, evaluate(self.system, self.overrides, seed=self.seed))
            self._cache["ev"] = hit
        return hit[2]

    def baseline_evaluation(self) -> Evaluation:
        """The evaluation of the baseline (the system first loaded, or a chosen one), cached."""
        hit = self._cache.get("base")
        if hit is None or hit[0] is not self.baseline or hit[1] != self.seed:
            hit = (self.baseline, self.seed, evaluate(self.baseline, seed=self.seed))
            self._cache["base"] = hit
        return hit[2]

    def shown_system(self) -> System:
        """The system with the overrides folded in: what "Download .xlsx" saves."""
        return self.system.with_params(self.overrides) if self.overrides else self.system

    # ------------------------------------------------------------------ changes
    def load(self, system: System, source: str) -> None:
        """A new system (picker, upload, scenario): overrides are cleared."""
        self.system = system
        self.source = source
        self.overrides = {}

    def edit(self, system: System) -> None:
        """The editor changed the system: it becomes the system; overrides it no longer has
        (or whose parameter the edit changed) are dropped."""
        kept = {}
        for key, value in self.overrides.items():
            try:
                if system.param(key) == self.system.param(key):
                    kept[key] = value
            except (ParameterError, ValueError):
                continue
        self.system = system
        self.source = "edited"
        self.overrides = kept

    def set_override(self, key: str, value) -> None:
        """Set one what-if value (validated: a numeric parameter of the system, a valid number)."""
        node, param = split_param(key)
        if key not in self.system.parameters():
            raise ParameterError(f"{label(key)} ({key}) is not a numeric parameter of {self.system.name}")
        v = check_values(param, value, f"{label(key)} ({key})")
        if np.ndim(v):
            raise ParameterError(f"{label(key)} ({key}): one value, not an array")
        self.overrides = dict(self.overrides, **{key: float(v)})

    def set_overrides(self, overrides: dict) -> None:
        """Replace the what-if values (each validated as in :meth:`set_override`)."""
        old = self.overrides
        self.overrides = {}
        try:
            for k, v in overrides.items():
                self.set_override(k, v)
        except ParameterError:
            self.overrides = old
            raise

    def reset(self) -> None:
        """Drop every what-if value."""
        self.overrides = {}

    def apply(self) -> None:
        """Fold the what-if values into the system (it becomes an edited system)."""
        if self.overrides:
            self.system = self.shown_system()
            self.source = "edited"
            self.overrides = {}

    def set_baseline(self, system: System | None = None, source: str | None = None) -> None:
        """Compare against ``system`` (default: what is on screen now)."""
        self.baseline = system if system is not None else self.shown_system()
        self.baseline_source = source or self.source

    def set_view(self, **changes) -> None:
        self.view = replace(self.view, **changes)

    # ------------------------------------------------------------------ links
    @classmethod
    def from_query(cls, query: str, *, default: str | System | None = None) -> tuple[DashboardState, tuple[str, ...]]:
        """The state a link asks for, and the messages naming what it ignored. ``default``
        (a bundled name or a System, e.g. the one the app serves) is used when the link
        names no system or scenario (``None``: the default bundled system)."""
        if default is None:
            default = default_system()
        q = parse_query(query)
        messages = list(q.messages)
        seed = q.seed if q.seed is not None else 0
        if q.scenario is not None:
            scen = next(s for s in _scenarios() if s.name == q.scenario)
            if q.system is not None and q.system != scen.system:
                messages.append(f"system {q.system!r} ignored: scenario {scen.name!r} is built on {scen.system!r}")
            state = cls(scen.load(), f"scenario:{scen.name}", seed=seed)
        elif q.system is None and isinstance(default, System):
            source = f"system:{default.name}" if default.name in list_systems() else "edited"
            state = cls(default, source, seed=seed)
        else:
            name = q.system or str(default)
            state = cls(load_system(name), f"system:{name}", seed=seed)
        params = state.system.parameters()
        for key, value in q.overrides.items():
            if key not in params:
                messages.append(
                    f"{key}={value:g} ignored: {state.system.name} has no parameter {key!r} "
                    f"(e.g. {', '.join(params[:3])})"
                )
                continue
            try:
                state.set_override(key, value)
            except ParameterError as exc:
                messages.append(f"{key}={value:g} ignored: {exc}")
        view = q.view
        if view.stage is not None and view.stage not in state.system.stage_names:
            messages.append(f"stage {view.stage!r} ignored; stages: {', '.join(state.system.stage_names)}")
            view = replace(view, stage=None)
        for axis in ("x", "y"):
            key = getattr(view, axis)
            if key is not None and key not in params:
                messages.append(f"{axis}={key!r} ignored: not a numeric parameter of {state.system.name}")
                view = replace(view, **{axis: None, f"{axis}_range": None})
        if view.x is not None and view.x == view.y:
            messages.append(f"y={view.y!r} ignored: the same parameter as x")
            view = replace(view, y=None, y_range=None)
        state.view = view
        return state, tuple(messages)

    def to_query(self) -> str:
        """The query string (no ``?``) that reopens this state; :meth:`from_query` reads it back."""
        pairs: list[tuple[str, str]] = []
        kind, _, name = self.source.partition(":")
        if kind == "scenario":
            pairs.append(("scenario", name))
        elif kind == "system":
            pairs.append(("system", name))
        else:
            pairs.append(("system", self.system.name))
        for key, value in self.overrides.items():
            pairs.append((key, repr(float(value))))
        v = self.view
        pairs.append(("tab", v.tab))
        for key in ("stage", "x", "y"):
            if getattr(v, key) is not None:
                pairs.append((key, getattr(v, key)))
        for key in ("x_range", "y_range"):
            r = getattr(v, key)
            if r is not None:
                pairs.append((key, f"{r[0]!r},{r[1]!r},{int(r[2])}"))
        pairs.append(("metric", v.metric))
        if self.seed:
            pairs.append(("seed", str(self.seed)))
        return urlencode(pairs, safe=",")
