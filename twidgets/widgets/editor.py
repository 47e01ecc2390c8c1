"""SystemEditor: edit a System's detector and trigger-stage tables in place.

The editor is an ``anywidget`` grid (``static/editor.js`` + ``static/editor.css``, plain
ES module, nothing fetched at run time). The work is done by
:class:`~twidgets.widgets.draft.SystemDraft`, a plain-Python object that holds the tables
*as the user typed them* and validates them with the model's own code; this class only
syncs traits and answers the browser's commands.

Sync model
----------
Python -> browser: the synced traits below (every value shown in a cell is a string).

Browser -> Python: anywidget commands (``experimental.invoke`` in the ESM), each answered
with ``{"ok": bool, "applied": bool, "status": text, "error": text or None}``: ``applied``
says the command ran (an invalid value is applied to the draft and listed in ``errors``),
``ok`` that the result is a valid System (or, for an upload or download, that it worked):

* ``_on_edit`` ``{"table", "row", "column", "value"}`` (sent on ``change``: Enter or blur);
* ``_on_add_row`` ``{"table"}``, ``_on_delete_row`` ``{"table", "row"}``;
* ``_on_revert`` ``{}``: drop pending (invalid) edits, show the last valid system again;
* ``_on_upload`` ``{"name", "size"}`` with the file in the first buffer;
* ``_on_download`` ``{}``: answered with ``"name"`` and the .xlsx bytes in the first buffer.

A command never raises: whatever goes wrong is in its answer and in :attr:`status`, and the
browser says so beside the edit that did not apply (also when no answer comes at all).

``system`` (not synced) always holds the last *valid* System. Each edit that yields a valid
and different System sets it once, so ``observe(..., "system")`` callbacks run once per
valid edit. Nothing typed is ever evaluated: numeric cells go through ``float()``, other
cells stay text for the model to check (complexity strings have a fixed grammar).
"""

from __future__ import annotations

import functools
import io
import logging
import pathlib
from collections.abc import Callable, Mapping
from dataclasses import replace

import anywidget
import ipywidgets
import traitlets
from anywidget.experimental import command

from ..model.complexity import NAMED as NAMED_COMPLEXITIES
from ..model.errors import SpecError
from ..model.io import read_workbook
from ..model.registry import calibration_names, classifier_kind, classifier_kinds
from ..model.spec import System
from .controls import as_system
from .draft import SystemDraft
from .grid import TABLES, Problem, problem_from_error

__all__ = ["SystemEditor", "MAX_UPLOAD_BYTES"]

_log = logging.getLogger(__name__)
_STATIC = pathlib.Path(__file__).parent / "static"

#: Largest upload the editor accepts (bytes); bigger files are refused with a message.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _answers(method):
    """Wrap a command so it never raises into the page: it answers ``ok: False`` and the
    reason instead (anywidget sends no answer for a command that raises)."""

    @functools.wraps(method)
    def wrapper(self, msg, buffers):
        what = method.__name__.removeprefix("_on_").replace("_", " ")
        try:
            content = msg if isinstance(msg, Mapping) else {}
            ok, extra, out = method(self, content, list(buffers or []))
        except Exception as e:  # say what went wrong, keep the page alive
            _log.warning("editor %s failed", what, exc_info=True)
            self.status = f"could not apply {what}: {e}"
            return {"ok": False, "applied": False, "status": self.status, "error": str(e)}, []
        error = None if ok else self.status
        return {"ok": ok, "applied": True, "status": self.status, "error": error, **extra}, out

    return wrapper


def _described(kind: str) -> str:
    """A classifier kind with its registered description, for the column's tooltip."""
    description = classifier_kind(kind).description
    return f"{kind}: {description}" if description else kind


class SystemEditor(anywidget.AnyWidget):
    """Editable grid of a :class:`~twidgets.System` (detectors, trigger stages, year).

    Parameters
    ----------
    system : System or str, optional
        The system to edit, or the name of a bundled one (the default system when omitted).

    Edits come from the browser as commands (module docstring) or from Python through
    :meth:`edit`, :meth:`add_row`, :meth:`delete_row`, :meth:`load_bytes`;
    :meth:`set_system` shows another System; :meth:`on_load` follows uploads.
    """

    _esm = _STATIC / "editor.js"
    _css = _STATIC / "editor.css"

    system = traitlets.Instance(System, help="The last valid System (not synced); observe it to follow edits.")
    columns = traitlets.Dict(help="Per table, the workbook headers shown, in order.").tag(sync=True)
    column_labels = traitlets.Dict(help="Per table, {header: the column's display name and unit}.").tag(sync=True)
    column_kinds = traitlets.Dict(help="Per table, {header: name|ref|number|int|classifier|...|extra}.").tag(sync=True)
    column_help = traitlets.Dict(help="Per table, {header: {placeholder, title}}: blank meaning, unit, rule.").tag(
        sync=True
    )
    detectors = traitlets.List(traitlets.Dict(), help="Detector rows as shown, {header: text}.").tag(sync=True)
    stages = traitlets.List(traitlets.Dict(), help="Trigger-stage rows as shown, {header: text}.").tag(sync=True)
    year = traitlets.Unicode("", help="The Global sheet's Year as shown.").tag(sync=True)
    errors = traitlets.List(
        traitlets.Dict(),
        help="Current problems (Problem.as_dict): message, where, sheet, row, column, table, index, source, text.",
    ).tag(sync=True)
    choices = traitlets.Dict(help="Dropdown values: stages, classifiers, complexities, calibrations.").tag(sync=True)
    status = traitlets.Unicode("", help="One line: what the last action did.").tag(sync=True)
    not_saved = traitlets.List(
        traitlets.Unicode(), help="What Download will not keep of the loaded workbook (shown beside Download)."
    ).tag(sync=True)
    max_upload_bytes = traitlets.Int(MAX_UPLOAD_BYTES, help="Upload limit (bytes).").tag(sync=True)
    answer_timeout = traitlets.Float(
        60.0,
        min=0.1,
        help="Seconds the browser waits for the kernel to answer an edit before it marks the edit "
        "'not applied' (uploads and downloads wait three times as long).",
    ).tag(sync=True)

    def __init__(self, system: System | str | None = None, **kwargs):
        system = as_system(system, "SystemEditor")
        self._draft = SystemDraft(system)
        self._upload_problem: Problem | None = None
        self._load_callbacks = ipywidgets.CallbackDispatcher()
        super().__init__(system=system, **kwargs)
        self.add_class("twidgets-editor")
        self._push([], self._describe(system))

    # ---------------------------------------------------------------- Python API
    def set_system(self, system: System | str) -> None:
        """Show ``system`` (a System or a bundled name): pending edits and upload problems
        are dropped. Observers of :attr:`system` run; :meth:`on_load` callbacks do not."""
        system = as_system(system, "SystemEditor.set_system")
        self._show(system, self._describe(system))  # also when equal tables raise no trait change
        self.system = system

    def on_load(self, callback: Callable[[System, str], object], remove: bool = False) -> None:
        """Call ``callback(system, name)`` when a workbook is loaded (upload or
        :meth:`load_bytes`), *before* :attr:`system` changes, so a listener can clear
        what-if overrides before observers of ``system`` recompute. ``remove=True``
        unregisters it."""
        self._load_callbacks.register_callback(callback, remove=remove)

    def edit(self, table: str, row, column: str, value) -> bool:
        """Type ``value`` into a cell, as the browser does on ``change``.

        ``table`` is ``"detectors"``, ``"stages"`` or ``"global"`` (column ``"Year"``),
        ``row`` a 0-based data row or a row name, ``column`` a workbook header.
        Returns True when the tables are valid afterwards (``system`` then holds the
        result). Invalid values never raise: they are listed in :attr:`errors`.
        Raises ValueError only for an unknown table, row or column.
        """
        self._draft.set_cell(table, row, column, value)
        return self._revalidate(f"{table} {column}")

    def add_row(self, table: str) -> bool:
        """Append a row (a pass-through stage feeding the sink, or a detector)."""
        i = self._draft.add_row(table)
        return self._revalidate(f"added {self._draft.names(table)[i]!r}")

    def delete_row(self, table: str, row) -> bool:
        """Delete a row (by 0-based index or name)."""
        name = self._draft.delete_row(table, row)
        return self._revalidate(f"deleted {name!r}")

    def revert(self) -> None:
        """Drop pending (invalid) edits: the grid shows :attr:`system` again."""
        self._draft.reset(self.system)
        self._upload_problem = None
        self._push([], f"reverted to the last valid system: {self._describe(self.system)}")

    def load_bytes(self, data, name: str = "upload.xlsx") -> bool:
        """Replace the system by a workbook's contents (.xlsx bytes).

        Files over :attr:`max_upload_bytes`, unreadable files and invalid workbooks are
        reported in :attr:`errors` and :attr:`status`; the current system is kept.
        """
        label = pathlib.PurePath(str(name or "upload.xlsx")).name
        try:
            data = bytes(data)
        except TypeError:
            return self._upload_failed(label, "the upload carried no file data")
        if len(data) > self.max_upload_bytes:
            return self._upload_failed(label, self._too_large(len(data)))
        try:
            system = read_workbook(data, name=pathlib.PurePath(label).stem or None)
        except SpecError as e:
            return self._upload_failed(label, e)
        if system == self.system and system.not_saved == self.system.not_saved:
            system = self.system
        self._show(system, f"loaded {label}: {self._describe(system)}")
        self._load_callbacks(system, label)
        self.system = system
        return True

    def to_xlsx_bytes(self) -> bytes:
        """The current valid system as .xlsx bytes (what the download button saves)."""
        buf = io.BytesIO()
        self.system.to_xlsx(buf)
        return buf.getvalue()

    # ---------------------------------------------------------------- browser commands
    @command
    @_answers
    def _on_edit(self, msg, buffers):
        return self.edit(msg.get("table"), msg.get("row"), msg.get("column"), msg.get("value", "")), {}, []

    @command
    @_answers
    def _on_add_row(self, msg, buffers):
        return self.add_row(msg.get("table")), {}, []

    @command
    @_answers
    def _on_delete_row(self, msg, buffers):
        return self.delete_row(msg.get("table"), msg.get("row")), {}, []

    @command
    @_answers
    def _on_revert(self, msg, buffers):
        self.revert()
        return True, {}, []

    @command
    @_answers
    def _on_upload(self, msg, buffers):
        name = str(msg.get("name") or "upload.xlsx")
        size = msg.get("size")
        if isinstance(size, (int, float)) and size > self.max_upload_bytes:
            return self._upload_failed(name, self._too_large(size)), {}, []
        if not buffers:
            return self._upload_failed(name, "the upload carried no file data"), {}, []
        return self.load_bytes(buffers[0], name), {}, []

    @command
    @_answers
    def _on_download(self, msg, buffers):
        try:
            data = self.to_xlsx_bytes()
        except SpecError as e:
            self.status = f"cannot save: {e}"
            return False, {}, []
        name = f"{self.system.name or 'system'}.xlsx"
        pending = len([e for e in self.errors if not e.get("source")])
        self.status = f"saved {name}" + (
            f" (the last valid system; {pending} pending problem(s) not included)" if pending else ""
        )
        return True, {"name": name, "size": len(data)}, [data]

    # ---------------------------------------------------------------- internals
    def _too_large(self, size: float) -> str:
        return f"the file is {size / 1e6:.1f} MB; the upload limit is {self.max_upload_bytes / 1e6:.0f} MB"

    @staticmethod
    def _describe(system: System) -> str:
        label = f"{system.name}: " if system.name else ""
        return f"{label}{len(system.detector_names)} detectors, {len(system.stage_names)} stages, year {system.year}"

    def _revalidate(self, what: str) -> bool:
        self._upload_problem = None
        system, problems = self._draft.build()
        if system is None:
            n = len(problems)
            self._push(
                problems,
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

    def _upload_failed(self, name: str, why: SpecError | str) -> bool:
        source = f"upload {name}"
        if isinstance(why, SpecError):  # located in the workbook (spreadsheet rows), not the grid
            found = problem_from_error(why)
            message = f"{found.where}: {why.problem}" if found.where else why.problem
            self._upload_problem = replace(found, message=message, table=None, index=None, source=source)
        else:
            message = str(why)
            self._upload_problem = Problem(message, source=source)
        _, problems = self._draft.build()
        self._push(problems, f"could not load {name}: {message} (the current system is kept)")
        return False

    def _choices(self) -> dict[str, list[str]]:
        return {
            "stages": self._draft.stage_choices(),
            "classifiers": list(classifier_kinds()),
            "complexities": list(NAMED_COMPLEXITIES),
            "calibrations": list(calibration_names()),
        }

    def _push(self, problems: list[Problem], status: str) -> None:
        d = self._draft
        if self._upload_problem is not None:
            problems = [*problems, self._upload_problem]
        choices = self._choices()
        with self.hold_sync():
            self.columns = {t: d.columns(t) for t in TABLES}
            self.column_labels = {t: d.column_labels(t) for t in TABLES}
            self.column_kinds = {t: d.column_kinds(t) for t in TABLES}
            described = [_described(k) for k in choices["classifiers"]]
            self.column_help = {t: d.column_help(t, {**choices, "classifiers": described}) for t in TABLES}
            self.detectors = d.rows("detectors")
            self.stages = d.rows("stages")
            self.year = d.year_text()
            self.choices = choices
            self.errors = [p.as_dict() for p in problems]
            self.not_saved = list(d.base.not_saved)
            self.status = status

    @traitlets.observe("system")
    def _system_set(self, change):
        if change["new"] is not self._draft.base:  # set from outside (set_system, a dashboard)
            self._show(change["new"], self._describe(change["new"]))

    def _show(self, system: System, status: str) -> None:
        """Show a valid System: pending edits and upload problems dropped."""
        self._upload_problem = None
        self._draft.reset(system)
        self._push([], status)
