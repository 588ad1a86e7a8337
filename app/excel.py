"""The app's one Excel mechanism: streaming list exports and declarative paper forms.

Pure module (xlsxwriter only; no Flask, nothing else from ``app``).

* ``write_list`` streams any number of rows (e.g. a SQLAlchemy Core result read
  with ``yield_per``) into one sheet with flat memory.
* ``render_form`` / ``render_workbook`` print a form described by a
  ``FormLayout`` declaration: title, header line, key-value block, bordered
  table, footer line, signature lines.

Every cell is written with a typed call (write_string / write_number /
write_datetime / write_blank), so a user string such as ``=1+1`` is stored as
exactly that text and can never become a formula.
"""

from __future__ import annotations

import math
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import chain, islice
from operator import itemgetter
from typing import IO, Any, Literal, TypeVar, Union
from xml.sax.saxutils import escape as xml_escape

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

__all__ = [
    "BOOL_LABELS",
    "MAX_DATA_ROWS",
    "XLSX_MIMETYPE",
    "Field",
    "FormLayout",
    "SheetSpec",
    "TooManyRows",
    "XlsxColumn",
    "render_form",
    "render_workbook",
    "write_list",
]

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Excel has 1,048,576 rows per sheet; one of them is the header row.
# Read at call time, so tests can monkeypatch a small value.
MAX_DATA_ROWS = 1_048_575

KINDS = frozenset({"text", "int", "decimal", "money", "percent", "date", "datetime", "bool",
                   "enum"})
BOOL_LABELS: Mapping[Any, str] = {True: "是", False: "否"}
NUMBER_FORMATS = {
    "decimal": "#,##0.00",
    "money": "#,##0.00",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}

WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH = 6.0
MAX_WIDTH = 60.0
A4 = 9

# Excel holds 15 significant digits; longer integers (IDs, card numbers) stay exact as text.
_MAX_EXACT_INT = 10**15

_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "remove_timezone": True,  # aware datetimes are written as their wall-clock time
    "nan_inf_to_errors": True,
}
_HEADER_STYLE = {
    "bold": True,
    "bg_color": "#D9E1F2",
    "border": 1,
    "align": "center",
    "valign": "vcenter",
    "text_wrap": True,
}

FileTarget = Union[str, "os.PathLike[str]", IO[bytes]]
RowData = Union[Sequence[Any], Mapping[str, Any]]


class TooManyRows(Exception):
    """The export would exceed Excel's row limit; nothing has been written."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"导出行数超过 Excel 上限（{limit:,} 行），请缩小筛选范围")


@dataclass(frozen=True)
class XlsxColumn:
    """One table column. ``labels`` maps enum/bool values to the text shown."""

    key: str
    label: str
    kind: str = "text"
    labels: Mapping[Any, str] | None = None
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; expected one of {sorted(KINDS)}")

    def label_for(self, value: Any) -> str:
        """Shown text of a bool/enum value; unknown values fall back to ``str``."""
        labels = self.labels if self.labels is not None else (BOOL_LABELS if self.kind == "bool" else {})
        key = value.value if isinstance(value, Enum) else value
        try:
            return labels.get(key, str(key))
        except TypeError:  # unhashable value
            return str(key)

    def display(self, value: Any) -> str:
        """The value as text, formatted like its cell (for text lines and width estimates)."""
        if value is None:
            return ""
        kind = self.kind
        if kind in ("bool", "enum"):
            return self.label_for(value)
        if kind in ("decimal", "money") and isinstance(value, (int, float, Decimal)):
            return f"{value:,.2f}"
        if kind == "percent" and isinstance(value, (int, float, Decimal)):
            return f"{float(value) * 100:.2f}%"
        if kind == "date" and isinstance(value, date):
            return f"{value:%Y-%m-%d}"
        if kind == "datetime" and isinstance(value, datetime):
            return f"{value:%Y-%m-%d %H:%M}"
        if kind == "datetime" and isinstance(value, date):
            return f"{value:%Y-%m-%d}"
        return str(value)


# ---------------------------------------------------------------------------
# Typed, formula-safe cell writes
# ---------------------------------------------------------------------------

CellWriter = Callable[[Worksheet, int, int, Any], None]


# Data cells go through xlsxwriter's undecorated writers, as its own write_row() does:
# the public ones first test for "A1" notation, about a tenth of a 1,000,000-row export.
def _write_text(ws: Worksheet, row: int, col: int, text: str, fmt: Format | None) -> None:
    if text.startswith("<r>") and text.endswith("</r>"):
        # xlsxwriter copies strings of this shape into the XML unescaped (as rich
        # text), so user data could corrupt the file. Wrap it as one escaped plain
        # run; the cap keeps the escaped markup under the 32,767-char cell limit.
        text = f'<r><t xml:space="preserve">{xml_escape(text[:6500])}</t></r>'
    ws._write_string(row, col, text, fmt)


def _cell_writer(column: XlsxColumn, fmt: Format | None) -> CellWriter:
    """A writer for one column; values of an unexpected type are written as text."""
    kind = column.kind

    if kind in ("int", "decimal", "money", "percent"):

        def write_number(ws: Worksheet, row: int, col: int, value: Any) -> None:
            if value is None:
                ws._write_blank(row, col, None, fmt)
            elif isinstance(value, Decimal):
                ws._write_number(row, col, float(value), fmt)
            elif isinstance(value, (int, float)) and not (isinstance(value, int) and abs(value) >= _MAX_EXACT_INT):
                ws._write_number(row, col, value, fmt)
            else:
                _write_text(ws, row, col, str(value), fmt)

        return write_number

    if kind in ("date", "datetime"):
        date_only = kind == "date"

        def write_temporal(ws: Worksheet, row: int, col: int, value: Any) -> None:
            if value is None:
                ws._write_blank(row, col, None, fmt)
            elif isinstance(value, date):  # datetime is a date subclass
                if date_only and isinstance(value, datetime):
                    value = value.date()
                ws._write_datetime(row, col, value, fmt)
            else:
                _write_text(ws, row, col, str(value), fmt)

        return write_temporal

    if kind in ("bool", "enum"):

        def write_label(ws: Worksheet, row: int, col: int, value: Any) -> None:
            if value is None:
                ws._write_blank(row, col, None, fmt)
            else:
                _write_text(ws, row, col, column.label_for(value), fmt)

        return write_label

    def write_str(ws: Worksheet, row: int, col: int, value: Any) -> None:
        if value is None or value == "":
            ws._write_blank(row, col, None, fmt)
        else:
            _write_text(ws, row, col, value if isinstance(value, str) else str(value), fmt)

    return write_str


class _Formats:
    """Creates each distinct Format once per workbook."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}

    def __call__(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self._workbook.add_format(props)
        return self._cache[key]

    def cell(self, kind: str, **base: Any) -> Format | None:
        props = dict(base)
        if kind in NUMBER_FORMATS:
            props["num_format"] = NUMBER_FORMATS[kind]
        return self(**props) if props else None


# ---------------------------------------------------------------------------
# Row access, widths, shared sheet helpers
# ---------------------------------------------------------------------------

Getter = Callable[[RowData], Sequence[Any]]


def _row_getter(first: RowData, columns: Sequence[XlsxColumn]) -> Getter:
    """Mappings are read by column key, anything else by position (SQLAlchemy Row included)."""
    if isinstance(first, Mapping):
        if len(columns) == 1:
            key = columns[0].key
            return lambda row: (row[key],)
        return itemgetter(*(c.key for c in columns))  # type: ignore[return-value]
    if len(first) < len(columns):
        raise ValueError(f"row has {len(first)} values but {len(columns)} columns are declared")
    return lambda row: row  # type: ignore[return-value]


def _display_width(text: str) -> int:
    """Column-width units: East Asian wide/full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _line_width(text: str) -> int:
    return max((_display_width(line) for line in text.splitlines()), default=0)


def _column_widths(columns: Sequence[XlsxColumn], sample: Sequence[Sequence[Any]]) -> list[float]:
    widths = []
    for index, column in enumerate(columns):
        if column.width is not None:
            widths.append(column.width)
            continue
        longest = max(
            [_line_width(column.label)] + [_line_width(column.display(values[index])) for values in sample]
        )
        widths.append(min(max(longest + 2.0, MIN_WIDTH), MAX_WIDTH))
    return widths


def _sample_rows(
    rows: Iterable[RowData], columns: Sequence[XlsxColumn]
) -> tuple[list[RowData], Iterator[RowData], Getter]:
    """Split off the first rows (for width estimates) without consuming the rest."""
    iterator = iter(rows)
    head = list(islice(iterator, WIDTH_SAMPLE_ROWS))
    getter = _row_getter(head[0], columns) if head else (lambda row: row)
    return head, iterator, getter  # type: ignore[return-value]


def _write_rows(
    ws: Worksheet,
    rows: Iterable[RowData],
    getter: Getter,
    writers: Sequence[CellWriter],
    first_row: int,
    limit: int,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Write data rows from ``first_row`` on; raise TooManyRows before row ``limit + 1``."""
    count = 0
    row_index = first_row
    for row in rows:
        if count == limit:
            raise TooManyRows(limit)
        for col, (write, value) in enumerate(zip(writers, getter(row))):
            write(ws, row_index, col, value)
        count += 1
        row_index += 1
        if progress is not None and count % progress_every == 0:
            progress(count)
    if progress is not None and count % progress_every:
        progress(count)
    return count


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (<= 31 chars, none of []:*?/\\)."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip().strip("'")[:31] or "Sheet"
    if cleaned.lower() == "history":  # reserved by Excel
        cleaned += "_"
    candidate, n = cleaned, 2
    while candidate.lower() in used:
        suffix = f"({n})"
        candidate, n = cleaned[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _page_setup(ws: Worksheet, landscape: bool, title: str | None = None, one_page: bool = False) -> None:
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(A4)
    # One page wide, as many pages tall as needed; a one-page form shrinks to fit the sheet.
    ws.fit_to_pages(1, 1 if one_page else 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    if title:
        ws.set_header("&C&B" + title[:100].replace("&", "&&"))
    ws.set_footer("&C第 &P 页，共 &N 页")


def _new_workbook(fileobj: FileTarget, tmpdir: str, constant_memory: bool) -> Workbook:
    return Workbook(
        fileobj,
        {**_WORKBOOK_OPTIONS, "constant_memory": constant_memory, "in_memory": False, "tmpdir": tmpdir},
    )


def _discard(workbook: Workbook) -> None:
    """Drop an unfinished workbook without writing anything to its target.

    Never call ``close()`` (nor use ``with Workbook``) on failure: that would
    write a truncated but valid-looking file.
    """
    for ws in workbook.worksheets():
        handle = getattr(ws, "row_data_fh", None)  # constant_memory temp file
        if handle is not None and not handle.closed:
            handle.close()


T = TypeVar("T")


def _build(fileobj: FileTarget, constant_memory: bool, fill: Callable[[Workbook], T]) -> T:
    """Run ``fill`` on a new workbook; save it only if ``fill`` succeeds."""
    # xlsxwriter's temp files go to a private directory removed in every case.
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmpdir:
        workbook = _new_workbook(fileobj, tmpdir, constant_memory)
        try:
            result = fill(workbook)
        except BaseException:
            _discard(workbook)
            raise
        workbook.close()
    return result


# ---------------------------------------------------------------------------
# 1. Streaming list export
# ---------------------------------------------------------------------------


def write_list(
    fileobj: FileTarget,
    title: str,
    columns: Sequence[XlsxColumn],
    rows: Iterable[RowData],
    *,
    total: int | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Stream ``rows`` into a one-sheet workbook and return the number of data rows.

    ``rows`` are mappings (read by column key) or sequences such as SQLAlchemy
    ``Row`` objects (read by position), e.g.
    ``conn.execution_options(yield_per=1000).execute(select(...))``.
    Memory stays flat: rows are flushed to a temp file as they are written.

    Raises ``TooManyRows`` at once if ``total`` exceeds the limit, otherwise as
    soon as the stream does; in both cases nothing is written to ``fileobj``.
    ``progress(count)`` is called every ``progress_every`` rows and at the end.
    """
    limit = MAX_DATA_ROWS
    if total is not None and total > limit:
        raise TooManyRows(limit)
    if not columns:
        raise ValueError("write_list needs at least one column")

    def fill(workbook: Workbook) -> int:
        formats = _Formats(workbook)
        ws = workbook.add_worksheet(_sheet_name(title, set()))
        # Widths come from the first rows, buffered before any cell is written
        # (in constant_memory mode a written row is final).
        head, rest, getter = _sample_rows(rows, columns)
        for index, width in enumerate(_column_widths(columns, [getter(r) for r in head])):
            ws.set_column(index, index, width)
        ws.freeze_panes(1, 0)
        ws.repeat_rows(0)
        ws.hide_gridlines(0)  # show and print gridlines
        _page_setup(ws, landscape=True, title=title)

        header = formats(**_HEADER_STYLE)
        for col, column in enumerate(columns):
            _write_text(ws, 0, col, column.label, header)
        writers = [_cell_writer(c, formats.cell(c.kind)) for c in columns]
        count = _write_rows(ws, chain(head, rest), getter, writers, 1, limit, progress, progress_every)
        ws.autofilter(0, 0, count, len(columns) - 1)
        return count

    return _build(fileobj, True, fill)


# ---------------------------------------------------------------------------
# 2. Paper forms
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A labelled value of a form (header line, key-value block, footer line).

    ``span``: in the key-value block, how many label/value slots it takes.
    """

    label: str
    key: str
    kind: str = "text"
    labels: Mapping[Any, str] | None = None
    span: int = 1

    @property
    def column(self) -> XlsxColumn:
        return XlsxColumn(self.key, self.label, self.kind, self.labels)


FieldSpec = Union[Field, tuple[str, str]]  # (label, key) is shorthand for a text Field


def _field(spec: FieldSpec) -> Field:
    return spec if isinstance(spec, Field) else Field(spec[0], spec[1])


@dataclass(frozen=True)
class FormLayout:
    """Declaration of a printed form; see ``render_form``.

    Sections are drawn top to bottom and each one is optional: title, header
    line (``header_fields``), key-value block (``fields``, ``fields_per_row``
    label/value pairs per row), bordered ``table`` (padded with empty ruled
    rows up to ``min_table_rows``), footer line, signature lines.
    """

    title: str
    header_fields: Sequence[FieldSpec] = ()
    fields: Sequence[FieldSpec] = ()
    fields_per_row: int = 2
    table: Sequence[XlsxColumn] = ()
    min_table_rows: int = 0
    footer_fields: Sequence[FieldSpec] = ()
    signatures: Sequence[str] = ()
    orientation: Literal["portrait", "landscape"] = "portrait"
    one_page: bool = False  # print on exactly one sheet of paper (fit to page)

    def __post_init__(self) -> None:
        if self.fields_per_row < 1:
            raise ValueError("fields_per_row must be at least 1")
        if self.orientation not in ("portrait", "landscape"):
            raise ValueError(f"unknown orientation {self.orientation!r}")


@dataclass(frozen=True)
class SheetSpec:
    """One sheet of a form workbook: a layout plus its data."""

    layout: FormLayout
    header: Mapping[str, Any] = field(default_factory=dict)
    rows: Iterable[RowData] = ()
    footer: Mapping[str, Any] | None = None
    name: str | None = None  # sheet tab name; defaults to the layout title


def render_form(
    fileobj: FileTarget,
    layout: FormLayout,
    header: Mapping[str, Any],
    rows: Iterable[RowData] = (),
    footer: Mapping[str, Any] | None = None,
    extra_sheets: Sequence[SheetSpec] = (),
) -> None:
    """Write a print-ready form (plus optional further sheets) to ``fileobj``.

    ``header`` supplies the header-line and key-value block values, ``rows`` the
    table, ``footer`` the footer line (falling back to ``header``). Missing
    keys print as blanks, so ``header={}`` gives an empty form to fill by hand.
    """
    render_workbook(fileobj, [SheetSpec(layout, header, rows, footer), *extra_sheets])


def render_workbook(fileobj: FileTarget, sheets: Sequence[SheetSpec]) -> None:
    """Write several form sheets (e.g. a register and its monthly statistics) to one workbook."""
    if not sheets:
        raise ValueError("render_workbook needs at least one sheet")

    def fill(workbook: Workbook) -> None:
        formats = _Formats(workbook)
        used: set[str] = set()
        for spec in sheets:
            ws = workbook.add_worksheet(_sheet_name(spec.name or spec.layout.title, used))
            _FormSheet(ws, formats, spec).render()

    _build(fileobj, False, fill)


_CELL = {"border": 1, "valign": "vcenter", "text_wrap": True}
_LINE_HEIGHT = 15.0


def _even_bounds(widths: Sequence[float], parts: int) -> list[int]:
    """Column bounds cutting ``widths`` into ``parts`` runs of about equal total width."""
    edges = [0.0]
    for width in widths:
        edges.append(edges[-1] + width)
    bounds = [0]
    for i in range(1, parts):
        target = edges[-1] * i / parts
        first, last = bounds[-1] + 1, len(widths) - (parts - i)
        bounds.append(min(range(first, last + 1), key=lambda b: abs(edges[b] - target)))
    return [*bounds, len(widths)]


class _FormSheet:
    """Draws one SheetSpec top to bottom; ``self.row`` is the next free row."""

    def __init__(self, ws: Worksheet, formats: _Formats, spec: SheetSpec) -> None:
        self.ws = ws
        self.formats = formats
        self.spec = spec
        self.layout = spec.layout
        self.fields = [_field(f) for f in self.layout.fields]
        self.n_cols = max(len(self.layout.table), 2 * self.layout.fields_per_row if self.fields else 0, 1)
        self.row = 0
        self.head: list[RowData] = []
        self.rest: Iterator[RowData] = iter(())
        self.getter: Getter = lambda row: row  # type: ignore[assignment,return-value]
        if self.layout.table:
            self.head, self.rest, self.getter = _sample_rows(spec.rows, self.layout.table)
        self.widths = self._widths([self.getter(r) for r in self.head])

    def render(self) -> None:
        layout, spec = self.layout, self.spec
        for index, width in enumerate(self.widths):
            self.ws.set_column(index, index, width)
        _page_setup(self.ws, landscape=layout.orientation == "landscape", one_page=layout.one_page)

        self._line(layout.title, self.formats(bold=True, font_size=16, align="center", valign="vcenter"), 32)
        if layout.header_fields:
            self._line(self._field_text(layout.header_fields, spec.header), self.formats(valign="vcenter"), 22)
        if self.fields:
            self._block()
        if layout.table:
            self._table()
        if layout.footer_fields:
            values = {**spec.header, **(spec.footer or {})}
            self._line(self._field_text(layout.footer_fields, values), self.formats(valign="vcenter"), 22)
        if layout.signatures:
            self.row += 1
            self._signatures()

    def _widths(self, sample: list[Sequence[Any]]) -> list[float]:
        widths = _column_widths(self.layout.table, sample)
        if self.fields:  # label columns fit the longest label, value columns get room
            label_width = max(_display_width(f.label) for f in self.fields) + 2.0
            for index in range(len(widths), self.n_cols):
                widths.append(min(max(label_width, 10.0), 24.0) if index % 2 == 0 else 22.0)
        return widths + [12.0] * (self.n_cols - len(widths))

    def _merge(self, first_col: int, last_col: int, fmt: Format) -> None:
        """Merge cells of the current row; the caller then fills the first one with a typed write."""
        if last_col > first_col:
            self.ws.merge_range(self.row, first_col, self.row, last_col, "", fmt)

    def _line(self, text: str, fmt: Format, height: float) -> None:
        self._merge(0, self.n_cols - 1, fmt)
        _write_text(self.ws, self.row, 0, text, fmt)
        self.ws.set_row(self.row, height)
        self.row += 1

    @staticmethod
    def _field_text(specs: Sequence[FieldSpec], values: Mapping[str, Any]) -> str:
        fields = [_field(s) for s in specs]
        return "    ".join(f"{f.label}：{f.column.display(values.get(f.key))}" for f in fields)

    def _block(self) -> None:
        """Label/value pairs in a bordered grid, ``fields_per_row`` pairs per row."""
        slots = self.layout.fields_per_row
        lines: list[list[tuple[Field, int, int]]] = []  # (field, first slot, slots taken)
        used = slots  # forces a new line for the first field
        for f in self.fields:
            span = min(max(f.span, 1), slots)
            if used + span > slots:
                lines.append([])
                used = 0
            lines[-1].append((f, used, span))
            used += span

        label_fmt = self.formats(bold=True, bg_color="#F2F2F2", align="center", **_CELL)
        for line in lines:
            height = 1
            for position, (f, slot, span) in enumerate(line):
                first_col = 2 * slot
                # The last value of a line reaches the right edge.
                last_col = self.n_cols - 1 if position == len(line) - 1 else first_col + 2 * span - 1
                value = self.spec.header.get(f.key)
                column = f.column
                value_fmt = self.formats.cell(column.kind, align="left", **_CELL)
                _write_text(self.ws, self.row, first_col, f.label, label_fmt)
                self._merge(first_col + 1, last_col, value_fmt)
                _cell_writer(column, value_fmt)(self.ws, self.row, first_col + 1, value)
                # Excel does not grow merged cells to fit, so size the row for long text.
                room = max(sum(self.widths[first_col + 1 : last_col + 1]), 1.0)
                lines_needed = sum(math.ceil(_display_width(t) / room) or 1 for t in column.display(value).splitlines())
                height = max(height, lines_needed)
            self.ws.set_row(self.row, max(24.0, height * _LINE_HEIGHT + 6))
            self.row += 1
        if self.layout.table:
            self.row += 1

    def _table(self) -> None:
        columns = self.layout.table
        header_fmt = self.formats(**_HEADER_STYLE)
        for col, column in enumerate(columns):
            _write_text(self.ws, self.row, col, column.label, header_fmt)
        self.ws.set_row(self.row, 22)
        self.ws.repeat_rows(self.row)
        self.row += 1

        trailing = (1 if self.layout.footer_fields else 0) + (2 if self.layout.signatures else 0)
        limit = MAX_DATA_ROWS + 1 - self.row - trailing
        formats = [self.formats.cell(c.kind, **_CELL) for c in columns]
        writers = [_cell_writer(c, f) for c, f in zip(columns, formats)]
        count = _write_rows(self.ws, chain(self.head, self.rest), self.getter, writers, self.row, limit)
        self.row += count
        for _ in range(max(self.layout.min_table_rows - count, 0)):
            for col, fmt in enumerate(formats):
                self.ws.write_blank(self.row, col, None, fmt)
            self.ws.set_row(self.row, 20)
            self.row += 1

    def _signatures(self) -> None:
        labels = [s if s.endswith(("：", ":")) else s + "：" for s in self.layout.signatures]
        fmt = self.formats(valign="vcenter")
        texts = [label + "_" * 12 for label in labels]
        if self.n_cols < len(texts):
            self._line("    ".join(texts), fmt, 28)
            return
        # Spread the signatures evenly over the full width (by column widths, not counts).
        bounds = _even_bounds(self.widths[: self.n_cols], len(texts))
        for text, first_col, end in zip(texts, bounds, bounds[1:]):
            self._merge(first_col, end - 1, fmt)
            _write_text(self.ws, self.row, first_col, text, fmt)
        self.ws.set_row(self.row, 28)
        self.row += 1
