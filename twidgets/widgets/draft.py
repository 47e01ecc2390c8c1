"""SystemDraft: the editor's working copy of a System's tables (pure pandas, no widgets).

A draft holds the detector and trigger-stage tables *as the user typed them*, invalid text
included, and validates them with the model's own code (:meth:`System.from_frames`). It
knows nothing of widgets or browsers and is tested on its own (``tests/test_draft.py``).

Rows are addressed by 0-based data row or by name; columns by their workbook header
(``"Data (bytes)"``). Problems are :class:`Problem` values that name the row as the grid
shows it (``Detectors, row 2 "Outer Tracker PS"``; see :mod:`.grid`), not the spreadsheet row number.
"""

from __future__ import annotations

from numbers import Integral

import pandas as pd

from ..model import display
from ..model.errors import SpecError
from ..model.params import RULES, UNITS
from ..model.spec import System
from .cells import is_blank, parse_number, put_cell, show
from .grid import SHEET_TABLE, TABLES, Problem, column_label, problem_from_error

__all__ = ["SystemDraft"]


#: A valid stand-in per model parameter, used only to look past one invalid cell and find
#: the next problem (a stand-in never reaches a built System).
_STAND_IN: dict[str, float | str] = {
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
#: A new stage passes every event through and sends no payload.
_PASS_THROUGH = {"data_bytes": 0.0, "reduction_ratio": 1.0, "classifier": "Dummy", "op_efficiency": 0.0}
#: What a blank Gaussian skill cell means (the model's reading of a blank).
_BLANK_SKILL = {"skill_mean": 0.0, "skill_scale": 1.0}
#: A new detector copies these from the last detector (else the stand-in value).
_DETECTOR_COPIED = ("sample_rate", "compression", "link_efficiency", "op_efficiency")
_MAX_REPORTED = 12


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
        self.valid_names = {t: self.names(t) for t in TABLES}

    def names(self, table: str) -> list[str]:
        """The name column of ``table`` as displayed (stripped)."""
        return [show(v).strip() for v in self.frames[table][TABLES[table].name_header].tolist()]

    def row_label(self, table: str, index: int) -> str:
        """A row as the grid shows it: ``row 2 "Inner Tracker"`` (rows counted from 1)."""
        name = self.names(table)[index]
        return f'row {index + 1} "{name}"' if name else f"row {index + 1}"

    def columns(self, table: str) -> list[str]:
        """Headers shown for ``table``: its columns, then absent optional model columns."""
        present = [c for c in self.frames[table].columns if isinstance(c, str)]
        absent = [c.header for c in TABLES[table].columns if c.header not in present]
        return present + absent

    def column_labels(self, table: str) -> dict[str, str]:
        """Per header: what the grid's column header says (:func:`column_label`)."""
        return {h: column_label(TABLES[table], h) for h in self.columns(table)}

    def column_kinds(self, table: str) -> dict[str, str]:
        """Per header: the model column's kind (``number``, ``ref``, ...) or ``extra``."""
        kinds = {c.header: c.kind for c in TABLES[table].columns}
        return {h: kinds.get(h, "extra") for h in self.columns(table)}

    def column_help(self, table: str, choices: dict[str, list[str]] | None = None) -> dict[str, dict[str, str]]:
        """Per header: ``placeholder`` (what a blank cell means) and ``title`` (unit and rule).

        ``choices`` (``{"classifiers": [...], "calibrations": [...]}``) lists the values of
        the dropdown columns in their titles.
        """
        choices = choices or {}
        out = {}
        for h in self.columns(table):
            col = TABLES[table].column(h)
            if col is None:
                out[h] = {"placeholder": "", "title": f"{h} (extra column, kept as is)"}
                continue
            rule = RULES.get(col.param)
            unit = UNITS.get(col.param)
            shown = column_label(TABLES[table], h)
            meaning = display.PARAMETERS[col.param].help if col.param in display.PARAMETERS else ""
            title = shown + (f": {meaning}" if meaning else "")
            title += (f"; {rule[4]}" if meaning else f": {rule[4]}") if rule else (f" [{unit}]" if unit else "")
            if col.kind == "name":
                title = f"{h}: a unique name (renaming a stage updates the rows that point to it)"
            elif col.kind == "classifier":
                title = f"{h}: how the stage selects events" + _one_of(choices.get("classifiers"))
            elif col.kind == "calibration":
                title = f"{h}: the classifier's calibration" + _one_of(choices.get("calibrations"))
            elif col.kind == "complexity":
                title = f"{h}: ops per event from the message size (named model or poly:c1,c2,c3)"
            elif col.kind == "ref":
                title = f"{h}: the stage this row sends its events to" + (
                    " (empty: the sink)" if table == "stages" else ""
                )
            default = "" if col.required or col.default in (None, "") else show(col.default)
            if col.param in _BLANK_SKILL:
                default = show(_BLANK_SKILL[col.param])
                title += " (needed by Gaussian)"
            out[h] = {"placeholder": default, "title": title}
        return out

    def rows(self, table: str) -> list[dict[str, str]]:
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
        names = self.names("stages")
        every = names + self.names("detectors")
        return [n for n in names if n and every.count(n) == 1]

    def row_index(self, table: str, row) -> int:
        """0-based data row of ``row`` (an index or a name in the name column)."""
        n = len(self.frames[table])
        if isinstance(row, str):
            names = self.names(table)
            if row.strip() in names:
                return names.index(row.strip())
            raise ValueError(f"no row named {row!r} in {table}; rows: {', '.join(names)}")
        if isinstance(row, bool) or not isinstance(row, Integral) and not (isinstance(row, float) and row.is_integer()):
            raise ValueError(f"row must be a 0-based row number or a row name, got {row!r}")
        i = int(row)
        if not 0 <= i < n:
            raise ValueError(f"row {i} is outside the {table} table (rows 0..{n - 1})")
        return i

    @staticmethod
    def _check_table(table) -> str:
        if table not in TABLES and table != "global":
            raise ValueError(f"unknown table {table!r}: use 'detectors', 'stages' or 'global'")
        return table

    # ---------------------------------------------------------------- edits
    def set_cell(self, table: str, row, column: str, value) -> None:
        """Put what the user typed into a cell (renames move references along).

        Raises ValueError only for an unknown table, row or column; an invalid value is
        kept as typed and reported by :meth:`build`.
        """
        self._check_table(table)
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            value = "" if value is None else str(value)
        if table == "global":
            if not isinstance(column, str) or column.strip().lower() != "year":
                raise ValueError(f"the global table has only 'Year', not {column!r}")
            self.globals["Year"] = parse_number(value)
            return
        if column not in self.columns(table):
            raise ValueError(f"unknown column {column!r} in {table}; columns: {', '.join(self.columns(table))}")
        i = self.row_index(table, row)
        kind = self.column_kinds(table)[column]
        frame = self.frames[table]
        numeric_extra = kind == "extra" and column in frame.columns and frame[column].dtype.kind in "iuf"
        typed = parse_number(value) if kind in ("number", "int") or numeric_extra else show(value)
        if column not in frame.columns and is_blank(typed):
            return  # blank in an absent optional column: nothing to add
        if kind == "name" and table == "stages":
            self._rename_stage(i, show(typed))
        put_cell(frame, frame.index[i], column, typed)

    def _rename_stage(self, i: int, new: str) -> None:
        """Make references to stage row ``i`` follow its new name (System.rename semantics)."""
        new = new.strip()
        names = self.names("stages")
        others = names[:i] + names[i + 1 :] + self.names("detectors")
        old: str | None = names[i]
        if not old or old in others:  # the pending name is not a usable reference
            valid = self.valid_names["stages"]
            old = valid[i] if i < len(valid) else None
        if not old or not new or new == old or new in others:
            return
        for t in TABLES.values():
            frame = self.frames[t.key]
            if t.ref_header in frame.columns:
                for k, v in zip(frame.index, frame[t.ref_header].tolist()):
                    if show(v).strip() == old:
                        put_cell(frame, k, t.ref_header, new)
        if self.curves is not None and "Stage" in self.curves.columns:
            self.curves.loc[self.curves["Stage"].map(lambda v: show(v).strip()) == old, "Stage"] = new

    def _unique_name(self, prefix: str) -> str:
        taken = set(self.names("stages")) | set(self.names("detectors"))
        k = 1
        while f"{prefix} {k}" in taken:
            k += 1
        return f"{prefix} {k}"

    def add_row(self, table: str) -> int:
        """Append a row that is valid on its own; returns its 0-based index.

        A new stage is a pass-through (Dummy, reduction ratio 1, no payload) that outputs
        to the sink; a new detector sends no payload to the last detector's stage and
        copies its rate and efficiencies.
        """
        self._check_table(table)
        if table == "global":
            raise ValueError("the global table has one row; edit its Year")
        t = TABLES[table]
        frame = self.frames[table]
        last = frame.iloc[-1].to_dict() if len(frame) else {}
        row: dict[str, object] = {c: float("nan") if frame[c].dtype.kind in "iufb" else "" for c in frame.columns}
        values: dict[str, object] = {}
        if table == "stages":
            outputs = [show(v).strip() for v in frame[t.ref_header].tolist()] if t.ref_header in frame else []
            names = self.names("stages")
            sink = next((names[k] for k, o in enumerate(outputs) if not o and names[k]), "")
            values = {"name": self._unique_name("Stage"), "output": sink, "compression": 0.0, **_PASS_THROUGH}
            values["link_efficiency"] = _number_or(last.get(t.header("link_efficiency")), 0.0)
            if t.header("skill_boost") in frame.columns:
                values["skill_boost"] = 0.0
        else:
            cats = [show(v).strip() for v in frame[t.ref_header].tolist()] if t.ref_header in frame else []
            stages = self.stage_choices()
            category = cats[-1] if cats and cats[-1] in stages else (stages[0] if stages else "")
            values = {"output": category, "name": self._unique_name("Detector"), "data_bytes": 0.0}
            for p in _DETECTOR_COPIED:
                values[p] = _number_or(last.get(t.header(p)), float(_STAND_IN[p]))
        row.update({t.header(p): v for p, v in values.items()})
        new = pd.DataFrame([row], columns=list(frame.columns) or list(row))
        for c in frame.columns:  # keep the table's dtypes
            if frame[c].dtype.kind in "iufb" and new[c].dtype.kind not in "iufb":
                new[c] = pd.to_numeric(new[c], errors="coerce")
            elif frame[c].dtype.kind == "O":
                new[c] = new[c].astype(object)
        self.frames[table] = pd.concat([frame, new], ignore_index=True) if len(frame) else new
        for c in frame.columns:
            if frame[c].dtype.kind == "f" and self.frames[table][c].dtype.kind != "f":
                self.frames[table][c] = self.frames[table][c].astype("float64")
        self.valid_names[table] = [*self.valid_names[table], ""]
        return len(self.frames[table]) - 1

    def delete_row(self, table: str, row) -> str:
        """Remove a row; returns its displayed name."""
        self._check_table(table)
        if table == "global":
            raise ValueError("the global row cannot be deleted")
        i = self.row_index(table, row)
        name = self.names(table)[i]
        frame = self.frames[table]
        self.frames[table] = frame.drop(index=frame.index[i]).reset_index(drop=True)
        self.valid_names[table] = self.valid_names[table][:i] + self.valid_names[table][i + 1 :]
        return name

    # ---------------------------------------------------------------- validation
    def build(self) -> tuple[System | None, list[Problem]]:
        """Validate the draft with :meth:`System.from_frames`.

        Returns ``(system, [])`` when valid, else ``(None, problems)``. To list more than
        the first problem, an invalid numeric/classifier/complexity/Category cell is
        replaced by a valid stand-in in a scratch copy and validation runs again (at most
        a dozen times); problems that cannot be stood in for end the search.
        """
        det = self.frames["detectors"].copy()
        stg = self.frames["stages"].copy()
        glob = dict(self.globals)
        errors: list[SpecError] = []
        seen = set()
        for _ in range(_MAX_REPORTED):
            try:
                system = System.from_frames(
                    det,
                    stg,
                    glob,
                    curves=self.curves,
                    name=self.base.name,
                    # still the loaded workbook: its other sheets are saved back, and what a save drops stays said
                    extra_sheets=self.base.extra_sheets,
                    not_saved=self.base.not_saved,
                )
            except SpecError as e:
                key = (e.sheet, e.row, e.column)
                if key in seen:
                    break
                seen.add(key)
                errors.append(e)
                if not self._stand_in(e, det, stg, glob):
                    break
                continue
            if not errors:
                return system, []
            break  # valid with stand-ins: the listed problems are all there is
        return None, [problem_from_error(e, self) for e in errors]

    def _stand_in(self, e: SpecError, det: pd.DataFrame, stg: pd.DataFrame, glob: dict) -> bool:
        if e.sheet == "Global" and e.column == "Year":
            glob["Year"] = float(self.base.year)
            return True
        table = SHEET_TABLE.get(e.sheet or "")
        if table not in TABLES or not isinstance(e.row, int) or e.row < 2:
            return False
        frame = det if table == "detectors" else stg
        i = e.row - 2
        col = TABLES[table].column(e.column or "")
        if i >= len(frame) or col is None or col.header not in frame.columns:
            return False
        if col.param == "output" and table == "detectors":
            stages = [n for n in (show(v).strip() for v in stg[TABLES["stages"].name_header].tolist()) if n]
            if not stages:
                return False
            value: object = stages[0]
        elif col.param in _STAND_IN:
            value = _STAND_IN[col.param]
        else:
            return False
        put_cell(frame, frame.index[i], col.header, value)
        return True


def _one_of(values) -> str:
    return f" ({'; '.join(values)})" if values else ""


def _number_or(value, fallback: float) -> float:
    """``value`` as a float when it is a finite-or-not number, else ``fallback``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return float(value)
    return fallback
