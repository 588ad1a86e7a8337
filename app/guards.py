"""Bad input never gives a 5xx (DESIGN.md §9): checks every request makes before a view
runs, and the database's refusals turned into 400/409 with a Chinese message.

Before a view: NUL bytes and lone surrogates in any value, malformed or too deep JSON and
rison, numbers beyond int64 in the path, the query or the body, negative or huge page
numbers, and a JSON body that is not an object where the API expects one.
After the database refused: a value it cannot hold (DataError), a row changed since it was
read (StaleDataError) and a duplicate (IntegrityError); a database that cannot be reached
gets a Chinese page that needs no database.
"""
import json
import logging
import re
import sys

import prison
from flask import current_app, jsonify, request
from flask_appbuilder.exceptions import FABException
from flask_babel import gettext as _
from sqlalchemy.exc import (
    CompileError,
    DataError,
    IntegrityError,
    OperationalError,
    StatementError,
)
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest, Conflict, HTTPException

log = logging.getLogger(__name__)

INT32, INT64 = 2**31 - 1, 2**63 - 1
ID_TEXT = re.compile(r"[0-9]{1,10}")
MAX_DEPTH = 20  # no form or filter of the console nests deeper
MAX_PAGE = 10**7
PAGE_ARGS = ("page", "page_size", "psize")


class InputRefused(BadRequest):
    """A 400 that tells the user what was wrong, in Chinese."""

    def __init__(self, message):
        super().__init__(description=str(message))
        self.message = str(message)


class RowChanged(Conflict):
    def __init__(self, message=None):
        message = message or _("该记录已被他人修改，请刷新后重试")
        super().__init__(description=str(message))
        self.message = str(message)


def stale_message() -> str:
    return _("该记录已被他人修改，请刷新后重试")


def parse_id(value) -> int | None:
    """A row id from input (text or a JSON number), or None. ASCII digits only ("²" passes
    str.isdigit() and int() refuses it) and within an Integer column (PostgreSQL refuses a
    larger value in a query, SQLite one beyond int64)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and ID_TEXT.fullmatch(value.strip()):
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if 0 < value <= INT32 else None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return _("输入中含有不允许的控制字符（NUL）")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("输入中含有无效的字符编码")
    return None


def value_problem(value, depth: int = 0) -> str | None:
    """Why a decoded value (JSON, rison) cannot be taken, or None."""
    if depth > MAX_DEPTH:
        return _("输入的嵌套层数过多")
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return _("数字超出允许范围") if abs(value) > INT64 else None
    if isinstance(value, float):
        return None if value == value and abs(value) != float("inf") else _("数字无效")
    if isinstance(value, dict):
        items = list(value.keys()) + list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        return None
    for item in items:
        problem = value_problem(item, depth + 1)
        if problem:
            return problem
    return None


def _page_problem(name: str, value) -> str | None:
    if name in PAGE_ARGS or name.startswith(("page_", "psize_")):
        try:
            number = int(value)
        except (TypeError, ValueError):
            return _("页码应为整数")
        if number < 0 or number > MAX_PAGE:
            return _("页码超出范围")
    return None


def checks_own_page_arguments(view):
    """Marks a view that checks its page arguments itself (its own status and message,
    e.g. the ABC analysis: 422 over the API, a flash on the web page); the guard leaves
    those arguments to it. Put it right below @expose."""
    view.checks_own_page_arguments = True
    return view


def _view_checks_page_arguments() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "checks_own_page_arguments", False)


def _rison_problem(text: str) -> str | None:
    try:
        parsed = prison.loads(text)
    except RecursionError:
        return _("查询参数的嵌套层数过多")
    except Exception:  # prison raises ParserException, IndexError, ValueError …
        return _("查询参数（rison）格式不正确")
    problem = value_problem(parsed)
    if problem:
        return problem
    if isinstance(parsed, dict):
        for name in PAGE_ARGS:
            if name in parsed:
                problem = _page_problem(name, parsed[name])
                if problem:
                    return problem
        return _relation_filter_problem(parsed.get("filters"))
    return None


def _relation_filter_problem(filters) -> str | None:
    """A filter on a related register (rel_o_m, rel_m_m …) compares ids: 'abc' made
    PostgreSQL fail inside FAB's filter and SQLite answer an empty list."""
    for spec in filters if isinstance(filters, list) else []:
        if isinstance(spec, dict) and str(spec.get("opr", "")).startswith("rel_") \
                and spec.get("value") not in (None, "") and parse_id(spec["value"]) is None:
            return _("筛选条件“%(col)s”的值应为记录编号", col=spec.get("col", ""))
    return None


def _json_problem() -> str | None:
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except RecursionError:
        return _("请求内容的嵌套层数过多")
    except (ValueError, UnicodeDecodeError):
        return _("请求内容不是有效的 JSON")
    problem = value_problem(parsed)
    if problem:
        return problem
    if request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH") \
            and not isinstance(parsed, dict):
        return _("请求内容应为 JSON 对象（{…}）")
    return None


def request_problem() -> str | None:
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and abs(value) > INT64:
            return _("编号超出允许范围")
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                return problem
    own_pages = _view_checks_page_arguments()
    for name, value in request.args.items(multi=True):
        problem = _text_problem(name) or _text_problem(value) or \
            (None if own_pages else _page_problem(name, value))
        if problem:
            return problem
        if name == "q" and value and request.path.startswith("/api/"):  # FAB's rison
            problem = _rison_problem(value)
            if problem:
                return problem
    if request.method in ("POST", "PUT", "PATCH"):
        if request.is_json:
            return _json_problem()
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in request.form.items(multi=True):
                problem = _text_problem(name) or _text_problem(value)
                if problem:
                    return problem
    return None


def init_guards(app, db) -> None:
    @app.before_request
    def _refuse_bad_input():
        problem = request_problem()
        if problem:
            raise InputRefused(problem)

    def rollback():
        try:
            db.session.rollback()
        except Exception:  # the database may be gone
            log.debug("rollback failed", exc_info=True)

    @app.errorhandler(StaleDataError)
    def _stale(_error):
        rollback()
        return app.handle_http_exception(RowChanged())

    @app.errorhandler(IntegrityError)
    def _duplicate(_error):
        rollback()
        return app.handle_http_exception(RowChanged(_("与已有记录冲突（可能重复），未保存")))

    @app.errorhandler(DataError)
    def _data(_error):
        rollback()
        return app.handle_http_exception(InputRefused(_("输入的值超出范围或格式不正确，未保存")))

    @app.errorhandler(CompileError)  # e.g. FAB's own lists ordered by an unknown column
    @app.errorhandler(FABException)
    def _fab_refused(_error):  # an unknown order or filter column in the list's arguments
        rollback()
        return app.handle_http_exception(InputRefused(_("排序或筛选参数不正确")))

    @app.errorhandler(OverflowError)
    def _overflow(_error):
        rollback()
        return app.handle_http_exception(InputRefused(_("数字超出允许范围")))


def api_exception_response(api):
    """For RegisterApi.response_500 (FAB's @safe catches everything): the exception being
    handled, mapped like the web does; None when it really is a server error."""
    error = sys.exc_info()[1]
    cause = getattr(error, "orig", None) or getattr(error, "__cause__", None)
    if isinstance(error, StatementError) and isinstance(cause, OverflowError):
        error = cause
    if isinstance(error, (StaleDataError, IntegrityError, DataError, OverflowError,
                          FABException)):
        current_app.appbuilder.session.rollback()
    if isinstance(error, StaleDataError):
        return api.response(409, message=stale_message())
    if isinstance(error, IntegrityError):
        return api.response(409, message=_("与已有记录冲突（可能重复），未保存"))
    if isinstance(error, (DataError, OverflowError)):
        return api.response(400, message=_("输入的值超出范围或格式不正确，未保存"))
    if isinstance(error, FABException):  # e.g. ApplyFilterException: rel_o_m with 'abc'
        return api.response(400, message=_("排序或筛选参数不正确"))
    if isinstance(error, HTTPException) and error.code and error.code < 500:
        return api.response(error.code, message=getattr(error, "message", None)
                            or error.description)
    return None


class MapsApiErrors:
    """For a plain BaseApi (charts, export jobs): FAB's @safe sends every exception to
    response_500; input and races get their 4xx like a register's API."""

    def response_500(self, message=None):
        return api_exception_response(self) or \
            self.response(500, message=_("系统错误，请稍后重试"))


def fatal_json():
    return jsonify(message=_("系统错误，请稍后重试")), 500


def database_down(error) -> bool:
    return isinstance(error, OperationalError) or isinstance(
        getattr(error, "original_exception", None), OperationalError)
