"""Excel import: a template to fill in, then an all-or-nothing upload.

A register declares which columns it imports and what identifies a duplicate; the
template, the cell conversion, the Chinese error list (row, column, message) and the
single transaction come from here. Owner and department come from the importer (or
from the customer, for rows about a customer), never from the file.
"""
import functools
import io
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Callable

import openpyxl
from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, or_, select

from app import audit
from app.errors import RowRejected
from app.excel import XlsxColumn, write_list
from app.jobs import files_dir, find_view, job_task, mark_done, run_job
from app.queue import task
from app.rows import clean_blank_choices, column_problem, prepare_new_row
from app.scope import scope_clause
from app.search import refresh_statistics
from app.sequences import next_codes
from app.timeutil import now_cn

MAX_IMPORT_ROWS = 10000
STATISTICS_AFTER_ROWS = 1000
TRUE_WORDS = {"是", "true", "1", "yes", "y", "√"}
FALSE_WORDS = {"否", "false", "0", "no", "n", "×"}


@dataclass(frozen=True)
class ImportProblem:
    row: int  # the Excel row number the user sees
    column: str  # the column's Chinese header
    message: str

    def __str__(self) -> str:
        return _("第 %(row)d 行【%(column)s】：%(message)s", row=self.row, column=self.column,
                 message=self.message)


@dataclass(frozen=True)
class ImportSpec:
    model: type
    columns: tuple[str, ...]  # in template order
    natural_key: tuple[str, ...]  # what makes two rows the same record (may be empty)
    # column → cell parser (value → column value, ValueError with a Chinese message),
    # and column → hint for the template's 填写说明, for columns the type alone cannot say
    parsers: dict[str, Callable] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    # optional check(obj, user) -> RowRejected | None: a rule about who may fill what
    row_check: Callable | None = None


def _labels(spec):
    return {c: str(spec.model.field_labels.get(c, c)) for c in spec.columns}


def _relation(spec, column):
    return spec.model.__mapper__.relationships.get(column)


def template(spec) -> bytes:
    """The header row (Chinese labels) plus a sheet of allowed values."""
    labels = _labels(spec)
    out = io.BytesIO()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = str(spec.model.label)[:31]
    sheet.append([labels[c] for c in spec.columns])
    sheet.freeze_panes = "A2"
    for i, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width = \
            max(12, 2 * len(labels[column]) + 4)
    notes = workbook.create_sheet(_("填写说明"))
    notes.append([_("列"), _("必填"), _("填写方式")])
    for column in spec.columns:
        notes.append([labels[column], _("是") if _required(spec.model, column) else "",
                      str(spec.hints[column]) if column in spec.hints
                      else _hint(spec.model, column)])
    workbook.save(out)
    return out.getvalue()


def _required(model, column) -> bool:
    rel = model.__mapper__.relationships.get(column)
    if rel is not None:
        return not list(rel.local_columns)[0].nullable
    col = model.__table__.c[column]
    return not col.nullable and col.default is None


def _hint(model, column) -> str:
    if model.__mapper__.relationships.get(column) is not None:
        return _("填写名称或编号（须为您可查看的记录）")
    if column in model.enums:
        return _("可选：") + "、".join(str(v) for v in model.enums[column].values())
    kind = model.__table__.c[column].type
    if isinstance(kind, Boolean):
        return _("是 / 否")
    if isinstance(kind, (Date, DateTime)):
        return _("日期，如 2026-10-09")
    if isinstance(kind, Numeric):
        return _("数字，最多两位小数")
    return _("文本")


@functools.lru_cache(maxsize=512)
def _keys_by_label(model, column, locale: str) -> dict[str, str]:
    """An enum column's labels in the request's language → keys. Built once per language:
    translating every label of every cell was a fifth of an import's time."""
    return {str(label): key for key, label in model.enums[column].items()}


def _convert(model, column, value):
    """Cell value → column value, or raise ValueError with a Chinese message."""
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        return None
    if column in model.enums:
        by_label = _keys_by_label(model, column, str(get_locale()))
        if str(value) in by_label:
            return by_label[str(value)]
        if str(value) in model.enums[column]:
            return str(value)
        raise ValueError(_("应为以下之一：%(v)s", v="、".join(by_label)))
    kind = model.__table__.c[column].type
    if isinstance(kind, Boolean):
        word = str(value).strip().lower()
        if word in TRUE_WORDS or value is True:
            return True
        if word in FALSE_WORDS or value is False:
            return False
        raise ValueError(_("应填“是”或“否”"))
    if isinstance(kind, (Date, DateTime)):
        if isinstance(value, datetime):
            return value if isinstance(kind, DateTime) else value.date()
        if isinstance(value, date):
            return value
        try:
            parsed = datetime.fromisoformat(str(value).replace("/", "-"))
        except ValueError:
            raise ValueError(_("日期格式应为 YYYY-MM-DD")) from None
        return parsed if isinstance(kind, DateTime) else parsed.date()
    if isinstance(kind, Numeric):
        try:
            number = Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            raise ValueError(_("应为数字")) from None
        if not number.is_finite():
            raise ValueError(_("应为数字"))
        digits = (kind.precision or 0) - (kind.scale or 0)
        if kind.precision and abs(number) >= Decimal(10) ** digits:  # 1e30 cannot be rounded
            raise ValueError(_("超出范围（整数部分最多 %(n)d 位）", n=digits))
        return number.quantize(Decimal("0.01")) if kind.scale == 2 else number
    if isinstance(kind, Integer):
        try:
            return int(str(value))
        except ValueError:
            raise ValueError(_("应为整数")) from None
    text = str(value)
    if isinstance(kind, String) and kind.length and len(text) > kind.length:
        raise ValueError(_("不能超过 %(n)d 个字", n=kind.length))
    return text


class _RelatedFinder:
    """Finds a related row by name or code, only among rows the importer may see."""

    def __init__(self, session, user):
        self.session, self.user, self.cache = session, user, {}

    def find(self, model, text):
        key = (model, text)
        if key not in self.cache:
            conditions = [getattr(model, attr) == text for attr in ("name", "code")
                          if hasattr(model, attr)]
            self.cache[key] = self.session.scalars(
                select(model).where(or_(*conditions), scope_clause(model, self.user))
                .limit(2)).first()
        return self.cache[key]


def _read_rows(spec, fileobj) -> tuple[list[tuple[int, dict]], list[ImportProblem]]:
    try:
        workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
        try:
            return _sheet_rows(spec, workbook.worksheets[0])
        finally:
            workbook.close()
    except Exception:  # openpyxl reads lazily: a damaged sheet also fails while iterating
        return [], [ImportProblem(1, _("文件"), _("无法读取，请上传 .xlsx 格式的导入模板"))]


def _sheet_rows(spec, sheet) -> tuple[list[tuple[int, dict]], list[ImportProblem]]:
    labels = _labels(spec)
    rows = sheet.iter_rows(values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, [])]
    by_label = {label: column for column, label in labels.items()}
    missing = [labels[c] for c in spec.columns if labels[c] not in header]
    if missing:
        return [], [ImportProblem(1, "、".join(missing), _("缺少这些列，请使用导入模板"))]
    positions = {by_label[h]: i for i, h in enumerate(header) if h in by_label}
    data = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        data.append((number, {c: values[i] if i < len(values) else None
                              for c, i in positions.items()}))
        if len(data) > MAX_IMPORT_ROWS:
            return [], [ImportProblem(number, _("文件"),
                                      _("一次最多导入 %(n)d 行", n=MAX_IMPORT_ROWS))]
    if not data:
        return [], [ImportProblem(2, _("文件"), _("没有数据行"))]
    return data, []


def import_file(session, spec, fileobj, user, fixed=None, before_commit=None
                ) -> tuple[int, list[ImportProblem]]:
    """Import every row or none. Returns (rows imported, problems).

    `fixed`: values every row gets that are not in the file (e.g. the survey whose page
    the answers are imported from); `before_commit(session, n)` writes in the same
    transaction (a background job closing itself)."""
    data, problems = _read_rows(spec, fileobj)
    if problems:
        return 0, problems
    labels = _labels(spec)
    finder, seen, objects = _RelatedFinder(session, user), {}, []
    with session.no_autoflush:  # nothing reaches the database before every row is checked
        _check_rows(session, spec, data, labels, finder, seen, objects, problems, user,
                    fixed or {})
    if problems:
        session.rollback()
        return 0, problems
    prefix = getattr(spec.model, "code_prefix", None)
    if prefix and objects:  # one counter update for the whole file
        codes = next_codes(session, prefix, now_cn().year, len(objects))
        for obj, code in zip(objects, codes):
            obj.code = code
    try:
        session.add_all(objects)
        audit.record(session, "import", model_name(spec), detail=_("%(n)d 行", n=len(objects)))
        if before_commit is not None:
            before_commit(session, len(objects))
        session.commit()
    except Exception:
        session.rollback()
        raise
    if len(objects) >= STATISTICS_AFTER_ROWS:  # a bulk load changes what the planner knows
        refresh_statistics(session)
    return len(objects), []


def count_data_rows(fileobj) -> int:
    """About how many rows a file holds, read from its dimension (cheap), for choosing
    between importing now and on the task queue."""
    try:
        workbook = openpyxl.load_workbook(fileobj, read_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.max_row if sheet.max_row else sum(1 for _row in sheet.iter_rows())
        workbook.close()
        return max(rows - 1, 0)
    except Exception:  # an unreadable file is refused by import_file with its message
        return 0
    finally:
        fileobj.seek(0)


# --------------------------------------------------------------------------
# Large imports on the task queue: the upload waits in FILES_DIR
# --------------------------------------------------------------------------
@job_task("import")
@task()
def run_import(job_id):
    run_job(job_id, _import_job_file)


def _import_job_file(job, _progress):
    view = find_view(job.asked["view"])
    spec, fixed = view.import_setup(job.asked.get("pk"))
    path = job.path(files_dir())
    with open(path, "rb") as fh:
        imported, problems = import_file(
            view.datamodel.session, spec, fh, g.user, fixed,
            before_commit=lambda session, n: mark_done(session, job.id, n))
    os.remove(path)
    return imported, json.dumps([{"row": p.row, "column": str(p.column), "message": str(p.message)}
                                 for p in problems], ensure_ascii=False) if problems else None


def model_name(spec) -> str:
    return spec.model.__tablename__


def _check_rows(session, spec, data, labels, finder, seen, objects, problems, user, fixed):
    """Convert and check every row; what the database must answer (unique values,
    natural duplicates) is asked once per chunk of rows, not once per row."""
    model = spec.model
    candidates = []
    for number, raw in data:
        values, row_ok = {}, True
        for column in spec.columns:
            rel = _relation(spec, column)
            try:
                if rel is not None:
                    text = _convert_text(raw.get(column))
                    value = finder.find(rel.mapper.class_, text) if text else None
                    if text and value is None:
                        raise ValueError(_("找不到“%(t)s”，或不在您的查看范围内", t=text))
                elif column in spec.parsers:
                    value = spec.parsers[column](raw.get(column))
                else:
                    value = _convert(model, column, raw.get(column))
                if value is None and _required(model, column):
                    raise ValueError(_("此项为必填项"))
                values[column] = value
            except ValueError as e:
                problems.append(ImportProblem(number, labels[column], str(e)))
                row_ok = False
        if not row_ok:
            continue
        key = _natural_key(spec, values)
        if spec.natural_key and key in seen:
            problems.append(ImportProblem(number, labels[spec.natural_key[-1]],
                                          _("与第 %(n)d 行重复", n=seen[key])))
            continue
        seen[key] = number
        # a blank cell leaves the column to its default
        obj = model(**{k: v for k, v in values.items() if v is not None}, **fixed)
        prepare_new_row(obj, user)
        clean_blank_choices(obj)
        candidates.append((number, key, obj))
    taken = _taken_unique_values(session, model, [obj for _n, _k, obj in candidates])
    existing_keys = _existing_natural_keys(session, spec, [k for _n, k, _o in candidates]) \
        if spec.natural_key else set()
    for number, key, obj in candidates:
        problem = _unique_taken(model, obj, taken) or (
            RowRejected(_("系统中已有相同的记录"), spec.natural_key[-1])
            if key in existing_keys else None) or \
            (spec.row_check(obj, user) if spec.row_check else None) or obj.validate() or column_problem(obj)
        if problem:
            problems.append(ImportProblem(number, labels.get(problem.field, _("整行")),
                                          problem.message))
            continue
        objects.append(obj)


CHUNK = 500


def _in_chunks(session, statement_for, values) -> set:
    found, values = set(), list(dict.fromkeys(values))
    for i in range(0, len(values), CHUNK):
        found.update(session.execute(statement_for(values[i:i + CHUNK])).all())
    return found


def _unique_columns(model):
    return [c for c in model.__table__.columns if c.unique and not c.primary_key]


def _taken_unique_values(session, model, objects) -> dict[str, set]:
    taken = {}
    for column in _unique_columns(model):
        wanted = [v for v in (getattr(o, column.key, None) for o in objects)
                  if v not in (None, "")]
        with session.no_autoflush:
            rows = _in_chunks(session, lambda chunk, c=column: select(c).where(c.in_(chunk)),
                              wanted)
        taken[column.key] = {row[0] for row in rows}
    return taken


def _unique_taken(model, obj, taken) -> RowRejected | None:
    for column in _unique_columns(model):
        value = getattr(obj, column.key, None)
        if value not in (None, "") and value in taken[column.key]:
            label = model.field_labels.get(column.key, column.key)
            return RowRejected(_("%(label)s“%(value)s”已存在", label=label, value=value),
                               column.key)
    return None


def _key_columns(spec):
    model = spec.model
    return [getattr(model, list(_relation(spec, c).local_columns)[0].key)
            if _relation(spec, c) is not None else getattr(model, c)
            for c in spec.natural_key]


def _natural_key(spec, values) -> tuple:
    return tuple(getattr(values.get(k), "id", values.get(k)) for k in spec.natural_key)


def _existing_natural_keys(session, spec, keys) -> set:
    """The natural keys among `keys` that the database already holds (any owner)."""
    columns = _key_columns(spec)
    first = [k[0] for k in keys if k[0] is not None]
    with session.no_autoflush:
        rows = _in_chunks(session, lambda chunk: select(*columns).where(columns[0].in_(chunk)),
                          first)
    return {tuple(row) for row in rows}


def _convert_text(value):
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def problems_workbook(problems) -> bytes:
    """The error list as a sheet, for long lists."""
    out = io.BytesIO()
    write_list(out, _("导入错误"), [XlsxColumn("row", _("行号"), "int"),
                                    XlsxColumn("column", _("列")),
                                    XlsxColumn("message", _("问题"))],
               [(p.row, p.column, p.message) for p in problems])
    return out.getvalue()
