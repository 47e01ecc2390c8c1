"""Systems in and out of workbooks (.xlsx), and the bundled systems by name.

Reading goes through :mod:`.workbook` and :mod:`.xlsx_reader`: only the XML parts a
system needs are parsed, each under a budget of bytes, tags and characters enforced
while parsing; formula cells give the values the spreadsheet program saved with them and
are never evaluated; macros are never loaded. Every failure is a :class:`SpecError`.

The bundled workbooks and curve tables live in the project's top-level ``data/`` folder
(written by ``scripts/make_data.py``), shipped inside the wheel as ``twidgets/data``;
:func:`data_path` finds a file there from a wheel, an editable install or a checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import registry
from .errors import SpecError
from .spec import System
from .tables import MAX_ROWS
from .workbook import MAX_BYTES, MAX_COLUMNS, MAX_EXPANDED, SHEETS

__all__ = [
    "read_workbook",
    "write_workbook",
    "load_system",
    "resolve_system",
    "list_systems",
    "bundled_path",
    "data_path",
    "default_system",
    "MAX_BYTES",
    "MAX_EXPANDED",
    "MAX_ROWS",
    "MAX_COLUMNS",
    "SHEETS",
]


_PACKAGE_DATA = Path(__file__).resolve().parents[1] / "data"  # wheel: force-included here
_CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "data"  # checkout / editable install


def _data_dir() -> Path:
    for d in (_PACKAGE_DATA, _CHECKOUT_DATA):
        if d.is_dir():
            return d
    raise SpecError(
        f"the bundled data folder is missing (looked in {_PACKAGE_DATA} and {_CHECKOUT_DATA}); "
        "reinstall twidgets or run scripts/make_data.py in a checkout"
    )


def data_path(name: str) -> Path:
    """Path of a bundled data file (a workbook or a curve table) by its file name.

    Raises :class:`SpecError` when there is no such file.
    """
    p = _data_dir() / name
    if os.path.basename(name) != name or not p.is_file():
        have = ", ".join(sorted(q.name for q in _data_dir().iterdir() if q.is_file()))
        raise SpecError(f"no bundled data file named {name!r}; bundled: {have}")
    return p


def list_systems() -> list[str]:
    """Names of the bundled systems (load them with :func:`load_system`)."""
    return sorted(p.name[:-5] for p in _data_dir().iterdir() if p.name.endswith(".xlsx"))


def default_system() -> str:
    """The bundled system shown when none is named: the one a registered study asks for
    (:class:`~twidgets.model.registry.Study`), else the first bundled name."""
    named = registry.default_system()
    if named is not None:
        return named
    names = list_systems()
    if not names:
        raise SpecError("no bundled systems found; reinstall twidgets or run scripts/make_data.py in a checkout")
    return names[0]


def bundled_path(name: str) -> Path:
    """Path of a bundled workbook by system name."""
    names = list_systems()
    if name not in names:
        raise SpecError(f"no bundled system named {name!r}; bundled: {', '.join(names)}")
    return data_path(f"{name}.xlsx")


def _is_bundled_name(value: str) -> bool:
    return not value.lower().endswith((".xlsx", ".xlsm")) and os.path.sep not in value and "/" not in value


def resolve_system(name_or_path) -> System:
    """The one resolver of "bundled name, workbook path or System" (CLI, app, widgets, API).

    A System is returned as is; a string without a path separator or a workbook suffix
    names a bundled system; anything else is read as a workbook (path, bytes or binary
    file). Raises :class:`SpecError` for unknown names, unreadable files and invalid
    contents.
    """
    if isinstance(name_or_path, System):
        return name_or_path
    if isinstance(name_or_path, str) and _is_bundled_name(name_or_path):
        return System.from_xlsx(bundled_path(name_or_path), name=name_or_path)
    return System.from_xlsx(name_or_path)


def load_system(name_or_path) -> System:
    """Load a bundled system by name (see :func:`list_systems`) or a workbook by path.

    Raises :class:`SpecError` for unknown names, unreadable files and invalid contents.
    """
    return resolve_system(name_or_path)


def read_workbook(source, *, name: str | None = None) -> System:
    """Read a System from a workbook path, bytes or binary file object.

    Raises :class:`SpecError` (never another exception type) for missing or unreadable
    files, files that are not workbooks, oversized files and invalid contents.
    """
    return System.from_xlsx(source, name=name)


def write_workbook(system: System, path) -> None:
    """Write ``system`` as a workbook (sheets Detectors, Triggers, Global, Curves if any, extras)."""
    system.to_xlsx(path)
