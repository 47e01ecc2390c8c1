"""The immutable :class:`System`: detectors, trigger stages, globals.

A system is read from three tables (workbook sheets ``Detectors``, ``Triggers``,
``Global``; an optional ``Curves`` sheet holds measured turn-on points). Validation
happens once, when a System is built (:mod:`.tables`, :mod:`.topology`), and names the
sheet, row and column of the first problem (:class:`SpecError`). A System never
changes: ``with_stage``, ``with_detector`` and ``with_year`` return new Systems, so
widgets and threads can share one.

Row numbers in errors are spreadsheet rows: the header is row 1, the first data row 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import ParameterError, SpecError
from .nodes import (
    Node,
    check_savable,
    compile_nodes,
    edited_tables,
    node_param,
    patch_number,
    patched_year,
    renamed_tables,
    same_table,
)
from .params import DETECTOR_COLUMNS, STAGE_COLUMNS, split_param
from .tables import (
    check_names,
    curves_frame,
    globals_dict,
    normalise_stages,
    normalise_table,
    parse_complexities,
)
from .topology import check_topology, curves_by_stage
from .workbook import read_tables, write_tables

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["System", "Node", "SpecError"]


class System:
    """An immutable trigger / DAQ system: detectors, trigger stages and globals.

    Build one with :func:`twidgets.load_system`, :meth:`from_xlsx` or
    :meth:`from_frames`; derive variants with :meth:`with_stage`, :meth:`with_detector`
    and :meth:`with_year`. Tables are returned as copies; nothing can change a System.

    Parameters (snake_case, addressable as ``"Stage.param"``): detectors ``output``
    (Category), ``data_bytes`` (bytes/event), ``sample_rate`` (events/s),
    ``compression`` (fraction), ``link_efficiency`` (J/bit), ``op_efficiency`` (J/op),
    ``complexity``; stages ``output``, ``data_bytes``, ``reduction_ratio``,
    ``classifier``, ``skill_mean``, ``skill_scale``, ``skill_boost``,
    ``link_efficiency``, ``op_efficiency``, ``compression``, ``complexity``,
    ``n_samples``, ``calibration``.
    """

    __slots__ = (
        "_det",
        "_stg",
        "_globals",
        "_curves",
        "_nodes",
        "_order",
        "name",
        "extra_sheets",
        "not_saved",
        "__dict__",
    )
    _det: pd.DataFrame
    _stg: pd.DataFrame
    _globals: dict
    _curves: pd.DataFrame | None
    _nodes: dict[str, Node]
    _order: list[str]
    #: A label (the bundled name or the file's stem), or ``None``.
    name: str | None
    #: Other worksheets of the workbook it was read from, ``((title, rows), ...)``; saved back
    #: by :meth:`to_xlsx` (like :attr:`not_saved`, not compared by ``==``).
    extra_sheets: tuple
    #: What saving this system to a workbook drops, for people (e.g. ``"cell comments"``).
    not_saved: tuple

    def __init__(self, *args, **kwargs):
        raise TypeError("build a System with twidgets.load_system(), System.from_xlsx() or System.from_frames()")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frames(
        cls,
        detectors,
        stages,
        globals=None,
        *,
        curves=None,
        name: str | None = None,
        extra_sheets: tuple = (),
        not_saved: tuple = (),
    ) -> System:
        """Validate tables and build a System.

        Parameters
        ----------
        detectors, stages : pandas.DataFrame
            Tables with the ``Detectors`` and ``Triggers`` sheet columns (MODEL.md);
            extra columns are kept.
        globals : mapping or DataFrame
            Must give ``Year``; extra keys are kept.
        curves : DataFrame, optional
            Measured turn-on points: ``Stage``, ``Object``, ``Energy (GeV)``, ``Efficiency``.
        extra_sheets : tuple, optional
            Other worksheets ``((title, rows), ...)`` that :meth:`to_xlsx` writes back.
        not_saved : tuple of str, optional
            What a save drops (set by the workbook reader; see :attr:`not_saved`).

        Raises
        ------
        SpecError
            Naming sheet, row and column of the first problem. No other exception
            type escapes for bad tables.
        """
        try:
            self = cls._build(detectors, stages, globals, curves)
        except SpecError:
            raise
        except (ParameterError, ValueError, TypeError, OverflowError) as e:  # e.g. pandas on odd cell types
            raise SpecError(f"could not read the tables: {type(e).__name__}: {e}") from None
        self.name = name
        self.extra_sheets = tuple(extra_sheets)
        self.not_saved = tuple(not_saved)
        return self

    @classmethod
    def _build(cls, detectors, stages, globals_, curves) -> System:
        det_frame, det_rows = normalise_table(detectors, DETECTOR_COLUMNS, "Detectors")
        stg_frame, stg_rows = normalise_table(stages, STAGE_COLUMNS, "Triggers")
        if not stg_rows:
            raise SpecError(
                "no trigger stages: a system needs at least its sink (a stage with empty Output)",
                sheet="Triggers",
                row=2,
            )
        if not det_rows:
            raise SpecError("no detectors: a system needs at least one source", sheet="Detectors", row=2)
        glob = globals_dict(globals_)
        cur = curves_frame(curves)
        seen: dict = {}
        check_names(stg_rows, "Triggers", "Name", seen)
        check_names(det_rows, "Detectors", "Detector", seen)
        check_topology(det_rows, stg_rows)
        normalise_stages(stg_rows)
        parse_complexities(stg_rows, "Triggers")
        parse_complexities(det_rows, "Detectors")
        cframe, curve_map = curves_by_stage(cur, stg_rows)
        self = object.__new__(cls)
        self._det = det_frame
        self._stg = stg_frame
        self._globals = glob
        self._curves = cframe
        self._nodes, self._order = compile_nodes(det_rows, stg_rows, curve_map)
        return self

    @classmethod
    def from_xlsx(cls, path, *, name: str | None = None) -> System:
        """Read a workbook (sheets ``Detectors``, ``Triggers``, ``Global``, optional ``Curves``).

        Formula cells give the values the spreadsheet program saved with them; other
        sheets are kept and written back by :meth:`to_xlsx`.
        """
        t = read_tables(path)
        return cls.from_frames(
            t.detectors,
            t.triggers,
            t.globals,
            curves=t.curves,
            name=name or t.label,
            extra_sheets=t.extra_sheets,
            not_saved=t.not_saved,
        )

    def to_xlsx(self, path) -> None:
        """Write the system to a workbook that :meth:`from_xlsx` reads back identically.

        Values only (see :attr:`not_saved` for what that drops); extra sheets are kept.
        """
        check_savable(self.nodes)
        tables = [("Detectors", self._det), ("Triggers", self._stg), ("Global", pd.DataFrame([self._globals]))]
        if self._curves is not None:
            tables.append(("Curves", self._curves))
        sheets = [
            (title, [str(c) for c in f.columns], list(f.itertuples(index=False, name=None))) for title, f in tables
        ]
        sheets += [(title, [], list(rows)) for title, rows in self.extra_sheets]
        write_tables(sheets, path)

    # ------------------------------------------------------------------ accessors
    @property
    def detectors(self) -> pd.DataFrame:
        """Detectors table (a copy)."""
        return self._det.copy()

    @property
    def stages(self) -> pd.DataFrame:
        """Trigger stages table (``Triggers`` sheet; a copy)."""
        return self._stg.copy()

    @property
    def globals(self) -> dict:
        """Global values (``Year`` and any extras; a copy)."""
        return dict(self._globals)

    @property
    def curves(self) -> pd.DataFrame | None:
        """Measured turn-on points (``Curves`` sheet) or ``None``."""
        return None if self._curves is None else self._curves.copy()

    @property
    def year(self) -> int:
        """Technology year used for scaled power."""
        return int(self._globals["Year"])

    @property
    def stage_names(self) -> list[str]:
        return self._stg["Name"].tolist()

    @property
    def detector_names(self) -> list[str]:
        return self._det["Detector"].tolist()

    @property
    def sink(self) -> str:
        """Name of the storage stage (the one with no Output)."""
        return next(n.name for n in self._nodes.values() if n.kind == "stage" and not n.output)

    def node(self, name: str) -> Node:
        """The validated :class:`Node` of a detector or stage."""
        try:
            return self._nodes[name]
        except KeyError:
            raise ParameterError(f"no detector or stage named {name!r}; known: {', '.join(self._nodes)}") from None

    @property
    def nodes(self) -> list[Node]:
        """Nodes in topological order (detectors first)."""
        return [self._nodes[n] for n in self._order]

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The system as a frozen ``networkx.DiGraph`` (detector -> category -> ... -> sink).

        Node attributes: ``kind``, every parameter, ``classifier``, ``complexity``.
        Edge attribute ``link_efficiency`` (J/bit, from the source row).
        """
        import networkx as nx  # only this view needs it; the model itself does not

        g = nx.DiGraph(name=self.name or "", year=self.year)
        for n in self.nodes:
            g.add_node(n.name, kind=n.kind, classifier=n.classifier, complexity=n.complexity.spec, **dict(n.params))
        for n in self.nodes:
            if n.output:
                g.add_edge(n.name, n.output, link_efficiency=n.params["link_efficiency"])
        return nx.freeze(g)

    def param(self, key: str) -> Any:
        """Current value of ``"Stage.param"`` (or ``"year"``)."""
        node, param = split_param(key)
        if node is None:
            return self.year
        return node_param(self.node(node), param)

    def parameters(self) -> list[str]:
        """The numeric ``"Stage.param"`` names, plus ``"year"``."""
        out: list[str] = []
        for n in self.nodes:
            out.extend(f"{n.name}.{p}" for p in n.params)
        return out + ["year"]

    # ------------------------------------------------------------------ derivation
    def with_stage(self, name: str, **params) -> System:
        """A new System with parameters of stage ``name`` changed (snake_case names)."""
        return self._with_row("stage", name, params)

    def with_detector(self, name: str, **params) -> System:
        """A new System with parameters of detector ``name`` changed (snake_case names)."""
        return self._with_row("detector", name, params)

    def with_year(self, year: int) -> System:
        """A new System with another technology year."""
        return self.with_params({"year": year})

    def with_params(self, values: Mapping[str, object]) -> System:
        """A new System with several ``"Stage.param"`` values (scalars) changed at once.

        Numeric parameters are patched into a copy (the other nodes are shared); any
        other change (names, outputs, classifiers, complexity...) rebuilds and re-checks
        the whole system.
        """
        fast = self._patched(values)
        if fast is not None:
            return fast
        det, stg, glob = edited_tables(self._det, self._stg, self._globals, values, lambda n: self.node(n).kind)
        return self._derived(det, stg, glob, self._curves)

    def _patched(self, values: Mapping[str, object]) -> System | None:
        """The fast path of :meth:`with_params` (numbers only), or ``None``."""
        nodes = dict(self._nodes)
        frames = {"detector": self._det, "stage": self._stg}
        glob = self._globals
        for key, value in values.items():
            node, param = split_param(key)
            if node is None:
                year = patched_year(glob, value)
                if year is None:
                    return None
                glob = year
                continue
            patch = patch_number(
                nodes[node] if node in nodes else self.node(node), frames[nodes[node].kind], param, value
            )
            if patch is None:
                return None
            nodes[node], frames[nodes[node].kind] = patch
        new = object.__new__(System)
        for slot in ("_curves", "_order", "name", "extra_sheets", "not_saved"):
            setattr(new, slot, getattr(self, slot))
        new._globals = glob
        new._det, new._stg, new._nodes = frames["detector"], frames["stage"], nodes
        return new

    def _derived(self, det, stg, glob, curves) -> System:
        return System.from_frames(
            det, stg, glob, curves=curves, name=self.name, extra_sheets=self.extra_sheets, not_saved=self.not_saved
        )

    def _with_row(self, kind, name, params) -> System:
        node = self.node(name)
        if node.kind != kind:
            raise ParameterError(f"{name!r} is a {node.kind}, not a {kind}")
        return self.with_params({f"{name}.{k}": v for k, v in params.items()})

    def rename(self, old: str, new: str) -> System:
        """A new System with node ``old`` called ``new`` (references follow)."""
        det, stg, cur = renamed_tables(self._det, self._stg, self._curves, self.node(old).kind, old, new)
        return self._derived(det, stg, self._globals, cur)

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other) -> bool:
        if not isinstance(other, System):
            return NotImplemented

        return (
            same_table(self._det, other._det)
            and same_table(self._stg, other._stg)
            and self._globals == other._globals
            and same_table(self._curves, other._curves)
        )

    __hash__ = None  # type: ignore[assignment]  # tables are not hashable; compare with ==

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"<System {label}{len(self._det)} detectors, {len(self._stg)} stages "
            f"({' -> '.join(n for n in self._stage_chain())}), year {self.year}>"
        )

    def _stage_chain(self):
        return [n.name for n in self.nodes if n.kind == "stage"]

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (
            _rebuild_system,
            (self._det, self._stg, self._globals, self._curves, self.name, self.extra_sheets, self.not_saved),
        )


def _rebuild_system(det, stg, glob, curves, name, extra_sheets=(), not_saved=()):
    return System.from_frames(det, stg, glob, curves=curves, name=name, extra_sheets=extra_sheets, not_saved=not_saved)
