"""Spreadsheet dates: which number formats show dates, and serial numbers as datetimes."""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["is_date_format", "excel_date"]

# built-in number formats that show dates or times (ECMA-376 18.8.30)
_DATE_FORMAT_IDS = frozenset(range(14, 23)) | frozenset(range(45, 48)) | frozenset(range(27, 37))
_DATE_CODE = re.compile(r"[dmyhs]", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def is_date_format(fmt_id: str, codes: dict) -> bool:
    """Whether number format ``fmt_id`` (custom ``codes``: {id: format code}) shows a date or time."""
    if fmt_id in codes:
        return bool(_DATE_CODE.search(_QUOTED.sub("", codes[fmt_id]).replace("General", "")))
    return fmt_id.isdigit() and int(fmt_id) in _DATE_FORMAT_IDS


def excel_date(serial: float, date1904: bool):
    """A date serial number (days since the workbook's epoch) as a datetime (a time below 1 day)."""
    epoch = _dt.datetime(1904, 1, 1) if date1904 else _dt.datetime(1899, 12, 30)
    if not date1904 and serial < 60:
        serial += 1  # Excel's phantom 29 February 1900
    try:
        value = epoch + _dt.timedelta(days=serial)
    except OverflowError:
        return serial
    return value.time() if 0 <= serial < 1 else value
