"""SystemEditor: edit a System's detector and trigger-stage tables in place.

The editor is an ``anywidget`` grid (``static/editor.js`` + ``static/editor.css``, plain
ES module, nothing fetched at run time). The work is done by :class:`SystemDraft`, a
plain-Python object that holds the tables *as the user typed them* and validates them
with the model's own code (:meth:`twidgets.System.from_frames`); the widget class only
syncs traits and routes front-end messages.

Sync model
----------
Python -> browser (synced traits; every value shown in a cell is a string)

* ``columns``: ``{"detectors": [header, ...], "stages": [header, ...]}`` spreadsheet
  headers (the tables' columns, then the model's optional columns that are absent);
* ``column_kinds``: ``{"detectors": {header: kind}, "stages": {...}}`` with kinds
  ``name``, ``ref`` (Output / Category), ``number``, ``int``, ``classifier``,
  ``complexity``, ``calibration`` or ``extra``;
* ``column_help``: ``{"detectors": {header: {"placeholder": text, "title": text}}, ...}``:
  what a blank optional cell means and the column's unit and rule (tooltips);
* ``detectors`` / ``stages``: one dict ``{header: text}`` per data row, the *displayed*
  values: a pending (invalid) value is shown exactly as typed;
* ``year``: the Global sheet's Year as displayed;
* ``errors``: current problems, dicts ``sheet``, ``row`` (spreadsheet row: header 1,
  first data row 2), ``column``, ``message``, plus ``table`` (``"detectors"``,
  ``"stages"``, ``"global"`` or ``None``) and ``index`` (0-based data row or ``None``);
* ``choices``: ``{"stages": [...], "classifiers": [...], "complexities": [...],
  "calibrations": [...]}`` for the dropdowns;
* ``status``: one line of text; ``max_upload_bytes``: the upload limit (bytes).

Browser -> Python (custom messages, also accepted by :meth:`SystemEditor._handle_custom_msg`)

* ``{"type": "edit", "table": "detectors"|"stages"|"global", "row": i, "column": header,
  "value": text}`` (sent on ``change``: Enter or blur);
* ``{"type": "add_row", "table": t}``, ``{"type": "delete_row", "table": t, "row": i}``;
* ``{"type": "revert"}``: drop pending (invalid) edits, show the last valid system again;
* ``{"type": "upload", "name": filename, "size": bytes}`` with the file in ``buffers[0]``;
* ``{"type": "download"}``: answered with ``{"type": "download", "name": ..., "size": ...}``
  whose ``buffers[0]`` is the current valid system as .xlsx bytes.

``system`` (not synced) always holds the last *valid* System. Each edit that yields a valid
and different System sets it once, so ``observe(..., "system")`` callbacks run once per
valid edit. Nothing typed is ever evaluated: numeric cells go through ``float()``, other
cells stay text for the model to check (complexity strings have a fixed grammar).
"""

from __future__ import annotations

import io
import logging
import math
import pathlib
from collections.abc import Mapping

import anywidget
import numpy as np
import pandas as pd
import traitlets

from ..model.complexity import NAMED as _NAMED_COMPLEXITIES
from ..model.errors import SpecError
from ..model.io import read_workbook
from ..model.params import DETECTOR_COLUMNS, RULES, STAGE_COLUMNS, UNITS
from ..model.registry import calibration_names, classifier_kind, classifier_kinds
from ..model.spec import System
from .controls import as_system

__all__ = ["SystemEditor", "SystemDraft", "MAX_UPLOAD_BYTES", "TABLES"]

_log = logging.getLogger(__name__)
_STATIC = pathlib.Path(__file__).parent / "static"

#: Largest upload the editor accepts (bytes); bigger files are refused with a message.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

#: table key -> (sheet name, model columns, name column, reference column)
TABLES = {
    "detectors": ("Detectors", DETECTOR_COLUMNS, "Detector", "Category"),
    "stages": ("Triggers", STAGE_COLUMNS, "Name", "Output"),
}
_SHEET_TABLE = {"Detectors": "detectors", "Triggers": "stages", "Global": "global"}

COMPLEXITY_CHOICES = [k for k in _NAMED_COMPLEXITIES]

# A valid stand-in per model parameter, used only to look past one invalid cell and find
# the next problem (the stand-in never reaches `.system`).
_STAND_IN = {
    "data_bytes": 0.0,
    "sample_rate": 1.0,
    "reduction_ratio": 1.0,
    "skill_mean": 0.0,
    "skill_scale": 1.0,
    "skill_boost": 0.0,
    "link_efficiency": 0.0,
    "op_efficiency": 0.0,
    "compression": 0.0,
    "n_samples": float("nan"),
    "classifier": "Dummy",
    "complexity": "",
    "calibration": "",
}
_MAX_REPORTED = 12


def show(value) -> str:
    """Text shown in a cell for a table value (numbers without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(value, str):
        return value
    if hasattr(value, "spec"):  # a Complexity model set through the Python API
        return str(value.spec)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _as_number(text):
    """``float(text)`` for a typed numeric cell; blank -> NaN; anything else stays text."""
    if isinstance(text, (int, float, np.integer, np.floating)) and not isinstance(text, (bool, np.bool_)):
        return float(text)
    if not text.strip():
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return text


def _put(frame: pd.DataFrame, index: int, column: str, value) -> None:
    """Set one cell, widening the column's dtype when the value needs it."""
    if column not in frame.columns:
        numeric = isinstance(value, float)
        frame[column] = pd.Series(
            [np.nan if numeric else ""] * len(frame), index=frame.index, dtype="float64" if numeric else object
        )
    kind = frame[column].dtype.kind
    if isinstance(value, str) and kind != "O":
        frame[column] = frame[column].astype(object)
    elif isinstance(value, float) and kind in "iub":
        if kind == "i" and value.is_integer():
            value = int(value)
        else:
            frame[column] = frame[column].astype("float64" if kind != "b" else object)
    frame.at[index, column] = value


class SystemDraft:
    """The editor's working copy: tables as typed, validated by the model.

    ``base`` is the last valid :class:`System`; ``frames`` hold what the user sees,
    including invalid text. :meth:`build` validates the draft and returns the new System
    (or ``None``) and the list of problems.
    """

    def __init__(self, system: System):
        self.reset(system)

    # ---------------------------------------------------------------- state
    def reset(self, system: System) -> None:
        """Start over from a valid System (drops pending edits)."""
        self.base = system
        self.frames = {"detectors": system.detectors, "stages": system.stages}
        self.globals = system.globals
        self.curves = system.curves
        self.valid_names = {t: self._names(t) for t in TABLES}

    def _names(self, table: str) -> list:
        return [show(v).strip() for v in self.frames[table][TABLES[table][2]].tolist()]

    def columns(self, table: str) -> list[str]:
        """Headers shown for ``table``: its columns, then absent optional model columns."""
        present = [c for c in self.frames[table].columns if isinstance(c, str)]
        absent = [c.header for c in TABLES[table][1] if c.header not in present]
        return present + absent

    def column_help(self, table: str) -> dict:
        """Per header: ``placeholder`` (what blank means) and ``title`` (unit and rule)."""
        out = {}
        for h in self.columns(table):
            col = next((c for c in TABLES[table][1] if c.header == h), None)
            if col is None:
                out[h] = {"placeholder": "", "title": f"{h} (extra column, kept as is)"}
                continue
            rule = RULES.get(col.param)
            unit = UNITS.get(col.param)
            title = h + (f": {rule[4]}" if rule else "") + (f" [{unit}]" if unit and not rule else "")
            if col.kind == "name":
                title = f"{h}: a unique name (renaming a stage updates the rows that point to it)"
            elif col.kind == "classifier":
                kinds = "; ".join(f"{k} ({classifier_kind(k).description})" for k in classifier_kinds())
                title = f"{h}: {kinds}"
            elif col.kind == "calibration":
                title = f"{h}: calibration of a Monte-Carlo classifier: {', '.join(calibration_names())}"
            elif col.kind == "complexity":
                title = f"{h}: ops per event from the message size (named model or poly:c1,c2,c3)"
            elif col.kind == "ref":
                title = f"{h}: the stage this row sends its events to" + (
                    " (empty: the sink)" if table == "stages" else ""
                )
            default = "" if col.required or col.default in (None, "") else show(col.default)
            if col.param in ("skill_mean", "skill_scale"):
                default = "0" if col.param == "skill_mean" else "1"
                title += " (needed by Gaussian)"
            out[h] = {"placeholder": default, "title": title}
        return out

    def column_kinds(self, table: str) -> dict:
        kinds = {c.header: c.kind for c in TABLES[table][1]}
        return {h: kinds.get(h, "extra") for h in self.columns(table)}

    def rows(self, table: str) -> list[dict]:
        """Displayed rows: ``{header: text}`` for every shown column."""
        frame = self.frames[table]
        n = len(frame)
        shown = {
            h: [show(v) for v in frame[h].tolist()] if h in frame.columns else [""] * n for h in self.columns(table)
        }
        return [{h: values[i] for h, values in shown.items()} for i in range(n)]

    def year_text(self) -> str:
        return show(self.globals.get("Year"))

    def stage_choices(self) -> list[str]:
        """Stage names usable as Output / Category: non-blank and unique in the draft."""
        names = self._names("stages")
        every = names + self._names("detectors")
        return [n for n in names if n and every.count(n) == 1]

    def row_index(self, table: str, row) -> int:
        """0-based data row of ``row`` (an index or a name in the name column)."""
        n = len(self.frames[table])
        if isinstance(row, str):
            names = self._names(table)
            if row.strip() in names:
                return names.index(row.strip())
            raise ValueError(f"no row named {row!r} in {table}; rows: {', '.join(names)}")
        if (
            isinstance(row, (bool, np.bool_))
            or not isinstance(row, (int, np.integer))
            and not (isinstance(row, float) and row.is_integer())
        ):
            raise ValueError(f"row must be a 0-based row number or a row name, got {row!r}")
        i = int(row)
        if not 0 <= i < n:
            raise ValueError(f"row {i} is outside the {table} table (rows 0..{n - 1})")
        return i

    @staticmethod
    def _table(table) -> str:
        if table not in TABLES and table != "global":
            raise ValueError(f"unknown table {table!r}: use 'detectors', 'stages' or 'global'")
        return table

    # ---------------------------------------------------------------- edits
    def set_cell(self, table: str, row, column: str, value) -> None:
        """Put what the user typed into a cell (renames move references along)."""
        self._table(table)
        if table == "global":
            if not isinstance(column, str) or column.strip().lower() != "year":
                raise ValueError(f"the global table has only 'Year', not {column!r}")
            if not isinstance(value, (str, int, float, np.integer, np.floating)) or isinstance(value, bool):
                value = "" if value is None else str(value)
            self.globals["Year"] = _as_number(value)
            return
        if column not in self.columns(table):
            raise ValueError(f"unknown column {column!r} in {table}; columns: {', '.join(self.columns(table))}")
        i = self.row_index(table, row)
        kind = self.column_kinds(table)[column]
        if not isinstance(value, (str, int, float, np.integer, np.floating)) or isinstance(value, bool):
            value = "" if value is None else str(value)
        frame = self.frames[table]
        if (
            kind in ("number", "int")
            or kind == "extra"
            and column in frame.columns
            and frame[column].dtype.kind in "iuf"
        ):
            typed = _as_number(value)
        else:
            typed = value if isinstance(value, str) else show(value)
        if column not in frame.columns and show(typed).strip() == "":
            return  # blank in an absent optional column: nothing to add
        if kind == "name":
            self._rename(table, i, typed)
        _put(frame, frame.index[i], column, typed)

    def _rename(self, table: str, i: int, new: str) -> None:
        """Make references to row ``i``'s stage follow its new name (System.rename semantics)."""
        if table != "stages":
            return
        new = new.strip()
        names = self._names("stages")
        others = names[:i] + names[i + 1 :] + self._names("detectors")
        old = names[i]
        if not old or old in others:  # the pending name is not a usable reference
            old = self.valid_names["stages"][i] if i < len(self.valid_names["stages"]) else None
        if not old or not new or new == old or new in others:
            return
        for t, col in (("stages", "Output"), ("detectors", "Category")):
            frame = self.frames[t]
            if col in frame.columns:
                hits = [k for k, v in zip(frame.index, frame[col].tolist()) if show(v).strip() == old]
                for k in hits:
                    _put(frame, k, col, new)
        if self.curves is not None and "Stage" in self.curves.columns:
            self.curves.loc[self.curves["Stage"].map(lambda v: show(v).strip()) == old, "Stage"] = new

    def _unique_name(self, prefix: str) -> str:
        taken = set(self._names("stages")) | set(self._names("detectors"))
        k = 1
        while f"{prefix} {k}" in taken:
            k += 1
        return f"{prefix} {k}"

    def add_row(self, table: str) -> int:
        """Append a row that is valid on its own; returns its 0-based index.

        A new stage is a pass-through (Dummy, RR 1, no payload) that outputs to the sink;
        a new detector copies the last detector's rates and efficiencies with no payload.
        """
        self._table(table)
        if table == "global":
            raise ValueError("the global table has one row; edit its Year")
        frame = self.frames[table]
        last = frame.iloc[-1].to_dict() if len(frame) else {}
        row = {}
        for c in frame.columns:
            v = last.get(c)
            row[c] = np.nan if frame[c].dtype.kind in "iufb" else ""
            if (
                c in ("Link Efficiency (J/bit)", "Op Efficiency (J/op)", "Sample Rate", "Compression")
                and table == "detectors"
                and v is not None
            ):
                row[c] = v
        if table == "stages":
            outputs = [show(v).strip() for v in frame["Output"].tolist()] if "Output" in frame else []
            names = self._names("stages")
            sink = next((names[k] for k, o in enumerate(outputs) if not o and names[k]), "")
            row.update(
                {
                    "Name": self._unique_name("Stage"),
                    "Output": sink,
                    "Data (bytes)": 0.0,
                    "Reduction Ratio": 1.0,
                    "Classifier": "Dummy",
                    "Link Efficiency (J/bit)": float(last.get("Link Efficiency (J/bit)", 0.0) or 0.0),
                    "Op Efficiency (J/op)": 0.0,
                    "Compression": 0.0,
                }
            )
            if "Skill boost" in frame.columns:
                row["Skill boost"] = 0.0
        else:
            cats = [show(v).strip() for v in frame["Category"].tolist()] if "Category" in frame else []
            stages = self.stage_choices()
            category = cats[-1] if cats and cats[-1] in stages else (stages[0] if stages else "")
            row.update({"Category": category, "Detector": self._unique_name("Detector"), "Data (bytes)": 0.0})
            for c, default in (
                ("Sample Rate", 40e6),
                ("Compression", 0.0),
                ("Link Efficiency (J/bit)", 0.0),
                ("Op Efficiency (J/op)", 0.0),
            ):
                if row.get(c) is None or (isinstance(row.get(c), float) and math.isnan(row[c])):
                    row[c] = default
        new = pd.DataFrame([row], columns=frame.columns)
        for c in frame.columns:  # keep the table's dtypes
            if frame[c].dtype.kind in "iufb" and new[c].dtype.kind not in "iufb":
                new[c] = pd.to_numeric(new[c], errors="coerce")
            elif frame[c].dtype.kind == "O":
                new[c] = new[c].astype(object)
        self.frames[table] = pd.concat([frame, new], ignore_index=True) if len(frame) else new
        for c in frame.columns:
            if frame[c].dtype.kind == "f" and self.frames[table][c].dtype.kind != "f":
                self.frames[table][c] = self.frames[table][c].astype("float64")
        self.valid_names[table] = self.valid_names[table] + [None]
        return len(self.frames[table]) - 1

    def delete_row(self, table: str, row) -> str:
        """Remove a row; returns its displayed name."""
        self._table(table)
        if table == "global":
            raise ValueError("the global row cannot be deleted")
        i = self.row_index(table, row)
        name = self._names(table)[i]
        frame = self.frames[table]
        self.frames[table] = frame.drop(index=frame.index[i]).reset_index(drop=True)
        self.valid_names[table] = self.valid_names[table][:i] + self.valid_names[table][i + 1 :]
        return name

    # ---------------------------------------------------------------- validation
    def build(self) -> tuple[System | None, list[dict]]:
        """Validate the draft with :meth:`System.from_frames`.

        Returns ``(system, [])`` when valid, else ``(None, problems)``. To list more than
        the first problem, an invalid numeric/classifier/complexity/Category cell is
        replaced by a valid stand-in in a scratch copy and validation runs again (at most
        a dozen times); problems that cannot be stood in for end the search.
        """
        det = self.frames["detectors"].copy()
        stg = self.frames["stages"].copy()
        glob = dict(self.globals)
        errors: list[dict] = []
        seen = set()
        for _ in range(_MAX_REPORTED):
            try:
                system = System.from_frames(det, stg, glob, curves=self.curves, name=self.base.name)
            except SpecError as e:
                err = problem(e)
                key = (err["sheet"], err["row"], err["column"])
                if key in seen:
                    break
                seen.add(key)
                errors.append(err)
                if not self._stand_in(e, det, stg, glob):
                    break
                continue
            if not errors:
                return system, []
            break  # valid with stand-ins: the listed problems are all there is
        return None, self._locate(errors)

    def _locate(self, errors: list[dict]) -> list[dict]:
        """Drop a cell location that is not in the grid (e.g. "no detectors" on an empty table)."""
        for err in errors:
            t = err["table"]
            if t in TABLES and err["index"] is not None and not 0 <= err["index"] < len(self.frames[t]):
                err["index"] = None
            if t in TABLES and err["column"] is not None and err["column"] not in self.columns(t):
                err["column"] = None
        return errors

    def _stand_in(self, e: SpecError, det, stg, glob) -> bool:
        if e.sheet == "Global" and e.column == "Year":
            glob["Year"] = float(self.base.year)
            return True
        table = _SHEET_TABLE.get(e.sheet)
        if table not in TABLES or not isinstance(e.row, int) or e.row < 2:
            return False
        frame = det if table == "detectors" else stg
        i = e.row - 2
        if i >= len(frame) or e.column not in frame.columns:
            return False
        col = next((c for c in TABLES[table][1] if c.header == e.column), None)
        if col is None:
            return False
        if col.param == "output" and table == "detectors":
            stages = [n for n in (show(v).strip() for v in stg["Name"].tolist()) if n]
            if not stages:
                return False
            value = stages[0]
        elif col.param in _STAND_IN:
            value = _STAND_IN[col.param]
        else:
            return False
        _put(frame, frame.index[i], e.column, value)
        return True


def problem(e: SpecError) -> dict:
    """A :class:`SpecError` as an ``errors`` entry (see the module docstring)."""
    table = _SHEET_TABLE.get(e.sheet) if e.sheet else None
    index = (
        (e.row - 2) if table in TABLES and isinstance(e.row, int) and e.row >= 2 else (0 if table == "global" else None)
    )
    return {
        "sheet": e.sheet,
        "row": e.row,
        "column": e.column,
        "message": e.problem,
        "text": str(e),
        "table": table,
        "index": index,
    }


class SystemEditor(anywidget.AnyWidget):
    """Editable grid of a :class:`~twidgets.System` (detectors, trigger stages, year).

    Parameters
    ----------
    system : System or str, optional
        The system to edit, or the name of a bundled one (default ``"cms-hllhc-pu200"``).

    Attributes
    ----------
    system : System
        The last valid System (not synced to the browser). Observe it to follow edits.
    errors : list of dict
        Current problems: ``sheet``, ``row`` (spreadsheet row), ``column``, ``message``,
        plus ``table`` and ``index`` (0-based data row).

    Edits come from the browser as custom messages (module docstring) or from Python
    through :meth:`edit`, :meth:`add_row`, :meth:`delete_row`, :meth:`load_bytes`.
    """

    _esm = _STATIC / "editor.js"
    _css = _STATIC / "editor.css"

    system = traitlets.Instance(System)
    columns = traitlets.Dict().tag(sync=True)
    column_kinds = traitlets.Dict().tag(sync=True)
    column_help = traitlets.Dict().tag(sync=True)
    detectors = traitlets.List(traitlets.Dict()).tag(sync=True)
    stages = traitlets.List(traitlets.Dict()).tag(sync=True)
    year = traitlets.Unicode("").tag(sync=True)
    errors = traitlets.List(traitlets.Dict()).tag(sync=True)
    choices = traitlets.Dict().tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    max_upload_bytes = traitlets.Int(MAX_UPLOAD_BYTES).tag(sync=True)

    def __init__(self, system: System | str | None = None, **kwargs):
        system = as_system(system, "SystemEditor")
        self._draft = SystemDraft(system)
        self._upload_problem = None
        super().__init__(system=system, **kwargs)
        self.add_class("twidgets-editor")
        self._push([], f"{self._describe(system)}")

    # ---------------------------------------------------------------- Python API
    def edit(self, table: str, row, column: str, value) -> bool:
        """Type ``value`` into a cell, as the browser does on ``change``.

        ``table`` is ``"detectors"``, ``"stages"`` or ``"global"`` (column ``"Year"``),
        ``row`` a 0-based data row or a row name, ``column`` a spreadsheet header.
        Returns True when the tables are valid afterwards (``system`` then holds the
        result). Invalid values never raise: they are listed in :attr:`errors`.
        Raises ValueError only for an unknown table, row or column.
        """
        self._draft.set_cell(table, row, column, value)
        return self._revalidate(f"{table} {column}")

    def add_row(self, table: str) -> bool:
        """Append a row (a pass-through stage feeding the sink, or a detector)."""
        i = self._draft.add_row(table)
        return self._revalidate(f"added {self._draft._names(table)[i]!r}")

    def delete_row(self, table: str, row) -> bool:
        """Delete a row (by 0-based index or name)."""
        name = self._draft.delete_row(table, row)
        return self._revalidate(f"deleted {name!r}")

    def revert(self) -> None:
        """Drop pending (invalid) edits: the grid shows :attr:`system` again."""
        self._upload_problem = None
        self._draft.reset(self.system)
        self._push([], f"reverted to the last valid system: {self._describe(self.system)}")

    def load_bytes(self, data, name: str = "upload.xlsx") -> bool:
        """Replace the system by a workbook's contents (.xlsx bytes).

        Files over :data:`MAX_UPLOAD_BYTES`, unreadable files and invalid workbooks are
        reported in :attr:`errors` and :attr:`status`; the current system is kept.
        """
        label = pathlib.PurePath(str(name or "upload.xlsx")).name
        try:
            data = bytes(data)
        except TypeError:
            return self._upload_failed(label, "the upload carried no file data")
        if len(data) > self.max_upload_bytes:
            return self._upload_failed(
                label, f"the file is {len(data) / 1e6:.1f} MB; the upload limit is {self.max_upload_bytes / 1e6:.0f} MB"
            )
        try:
            system = read_workbook(data, name=pathlib.PurePath(label).stem or None)
        except SpecError as e:
            return self._upload_failed(label, e)
        self._upload_problem = None
        if system == self.system:
            system = self.system
        self._draft.reset(system)
        self._push([], f"loaded {label}: {self._describe(system)}")
        self.system = system
        return True

    def to_xlsx_bytes(self) -> bytes:
        """The current valid system as .xlsx bytes (what the download button saves)."""
        buf = io.BytesIO()
        self.system.to_xlsx(buf)
        return buf.getvalue()

    # ---------------------------------------------------------------- front end
    def _handle_custom_msg(self, content, buffers=None):
        """Route the front end's messages (see the module docstring) to the API."""
        kind = content.get("type") if isinstance(content, Mapping) else None
        handlers = {
            "edit": self._on_edit,
            "add_row": self._on_add_row,
            "delete_row": self._on_delete_row,
            "upload": self._on_upload,
            "download": self._on_download,
            "revert": lambda content, buffers: self.revert(),
        }
        if kind not in handlers:
            return super()._handle_custom_msg(content, buffers)
        try:
            handlers[kind](content, list(buffers or []))
        except Exception as e:  # never raise into the page: say what went wrong
            _log.warning("editor %s message failed", kind, exc_info=True)
            self.status = f"could not apply {kind}: {e}"

    def _on_edit(self, msg, buffers):
        self.edit(msg.get("table"), msg.get("row"), msg.get("column"), msg.get("value", ""))

    def _on_add_row(self, msg, buffers):
        self.add_row(msg.get("table"))

    def _on_delete_row(self, msg, buffers):
        self.delete_row(msg.get("table"), msg.get("row"))

    def _on_upload(self, msg, buffers):
        name = msg.get("name") or "upload.xlsx"
        size = msg.get("size")
        if isinstance(size, (int, float)) and size > self.max_upload_bytes:
            self._upload_failed(
                name, f"the file is {size / 1e6:.1f} MB; the upload limit is {self.max_upload_bytes / 1e6:.0f} MB"
            )
            return
        if not buffers:
            self._upload_failed(name, "the upload carried no file data")
            return
        self.load_bytes(buffers[0], name)

    def _on_download(self, msg, buffers):
        try:
            data = self.to_xlsx_bytes()
        except SpecError as e:
            self.status = f"cannot save: {e}"
            return
        name = f"{self.system.name or 'system'}.xlsx"
        self.send({"type": "download", "name": name, "size": len(data)}, [data])
        pending = len(self.errors)
        self.status = f"saved {name}" + (
            f" (the last valid system; {pending} pending problem(s) not included)" if pending else ""
        )

    # ---------------------------------------------------------------- internals
    @staticmethod
    def _describe(system: System) -> str:
        label = f"{system.name}: " if system.name else ""
        return f"{label}{len(system.detector_names)} detectors, {len(system.stage_names)} stages, year {system.year}"

    def _revalidate(self, what: str) -> bool:
        self._upload_problem = None
        system, errors = self._draft.build()
        if system is None:
            n = len(errors)
            self._push(
                errors,
                f"{n} problem{'s' if n != 1 else ''}: the last valid system is kept "
                f"until {'they are' if n != 1 else 'it is'} fixed",
            )
            return False
        if system == self.system:  # nothing changed: keep the same object, notify nobody
            system = self.system
        self._draft.reset(system)
        self._push([], f"{what}: {self._describe(system)}")
        self.system = system
        return True

    def _upload_failed(self, name, why) -> bool:
        err = (
            problem(why)
            if isinstance(why, SpecError)
            else {
                "sheet": None,
                "row": None,
                "column": None,
                "message": str(why),
                "text": str(why),
                "table": None,
                "index": None,
            }
        )
        err["source"] = f"upload {name}"
        err["table"] = err["index"] = None  # about the file, not a cell of the grid
        self._upload_problem = err
        _, errors = self._draft.build()
        self._push(errors, f"could not load {name}: {err['text']} (the current system is kept)")
        return False

    def _push(self, errors: list[dict], status: str) -> None:
        d = self._draft
        if self._upload_problem is not None:
            errors = errors + [self._upload_problem]
        with self.hold_sync():
            self.columns = {t: d.columns(t) for t in TABLES}
            self.column_kinds = {t: d.column_kinds(t) for t in TABLES}
            self.column_help = {t: d.column_help(t) for t in TABLES}
            self.detectors = d.rows("detectors")
            self.stages = d.rows("stages")
            self.year = d.year_text()
            self.choices = {
                "stages": d.stage_choices(),
                "classifiers": list(classifier_kinds()),
                "complexities": list(COMPLEXITY_CHOICES),
                "calibrations": list(calibration_names()),
            }
            self.errors = errors
            self.status = status

    @traitlets.observe("system")
    def _system_set(self, change):
        if change["new"] is not self._draft.base:  # set from outside (e.g. a dashboard picker)
            self._upload_problem = None
            self._draft.reset(change["new"])
            self._push([], self._describe(change["new"]))
