# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read Microsoft's xlsx URL tables (the former downloads) into the rows ``catalog_import`` turns
into entries. Needs the Python package openpyxl, imported only when an xlsx file is read."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import CatalogError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_import import _cell, _Columns


def xlsx_rows(path: str, field_name: str) -> Iterator[Any]:
    """(row, columns, cells, label) for the data rows of every sheet with a URL table."""
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - depends on the controller's packages
        raise CatalogError(field_name, "openpyxl", "reading xlsx files needs the Python package openpyxl") from exc
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise CatalogError(field_name, "xlsx", "not a readable xlsx workbook: %s" % exc) from exc
    found = False
    try:
        for sheet in workbook.worksheets:
            columns = None
            for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = list(values)
                if columns is None:
                    candidate = _Columns(cells, field_name, row_number)
                    if candidate.is_url_table:
                        columns = candidate
                    elif row_number >= 20:
                        break
                    continue
                if not any(_cell(cells, i) for i in range(len(cells))):
                    continue
                found = True
                yield row_number, columns, cells, _xlsx_label(sheet.title, columns)
    finally:
        workbook.close()
    if not found:
        raise CatalogError(field_name, "no-table", "no sheet with a URL column and a Port column in its first 20 rows")


def _xlsx_label(sheet: str, columns: "_Columns") -> Callable[[Optional[int]], Optional[str]]:
    from openpyxl.utils import get_column_letter

    return lambda col: "%s (%s, sheet %s)" % (get_column_letter(col + 1), columns.header[col], sheet) if col is not None else None


def xlsx_date(path: str) -> str:
    """The workbook's modified date (ISO), or "" when it has none."""
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True)
        modified = workbook.properties.modified
        workbook.close()
    except Exception:  # the rows reader reports a damaged file with details
        modified = None
    return modified.date().isoformat() if modified else ""
