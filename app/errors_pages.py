"""Error pages in the reader's language (Werkzeug's defaults are English).

A page that needs the database (menu, user) falls back to a plain Chinese page that
needs nothing: with the database down the console still answers in Chinese.
"""
import logging

from flask import g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.guards import database_down

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("请求无效"), _l("请求无效或已过期，请返回上一页刷新后重试。")),
    403: (_l("没有权限"), _l("您没有执行此操作的权限。如需开通，请联系系统管理员。")),
    404: (_l("未找到"), _l("您要找的页面或记录不存在，或者不在您的查看范围内。")),
    405: (_l("不允许的操作"), _l("此地址不接受这种请求方式。")),
    409: (_l("记录已变化"), _l("该记录已被他人修改，请刷新后重试。")),
    429: (_l("请求过于频繁"), _l("尝试次数过多，请稍后再试。")),
    500: (_l("系统错误"), _l("系统出现错误，请稍后重试；如问题持续，请联系系统管理员。")),
    503: (_l("系统暂时不可用"), _l("暂时无法连接数据库，请稍后重试；如问题持续，请联系系统管理员。")),
}

PLAIN_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="/favicon.ico"></head>
<body style="font-family: sans-serif; margin: 48px auto; max-width: 640px; color: #333">
<h2>{code} · {title}</h2><p>{text}</p><p><a href="/">{home}</a></p></body></html>"""


def plain_page(code, title, text):
    """An error page that needs neither the database nor FAB's templates."""
    return PLAIN_PAGE.format(code=code, title=escape(str(title)), text=escape(str(text)),
                             home=escape(_("返回首页"))), code, \
        {"Content-Type": "text/html; charset=utf-8"}


def register_error_pages(app, appbuilder) -> None:
    def render(error):
        code = getattr(error, "code", 500) or 500
        title, text = MESSAGES.get(code, MESSAGES[500])
        text = getattr(error, "message", None) or text  # InputRefused, RowChanged
        if request.path.startswith("/api/"):
            return jsonify(message=str(text)), code
        if code >= 500:
            return plain_page(code, title, text)
        try:
            if not hasattr(g, "user"):  # refused before FAB's before_request ran (CSRF)
                g.user = current_user
            return render_template("error.html", code=code, title=title, text=text,
                                   base_template=appbuilder.base_template,
                                   appbuilder=appbuilder), code
        except Exception:  # noqa: BLE001 — the page itself must not fail
            log.exception("error page")
            return plain_page(code, title, text)

    for code in MESSAGES:
        app.register_error_handler(code, render)

    @app.errorhandler(Exception)
    def _unhandled(error):
        if isinstance(error, HTTPException):
            return render(error) if error.code in MESSAGES else error
        if database_down(error):
            log.error("database unreachable: %s", error)
            return render(ServiceUnavailable())
        log.exception("unhandled error", exc_info=error)
        return render(InternalServerError())

    @app.after_request
    def _chinese_api_500(response):
        """FAB's own APIs (security login …) answer {"message": "Fatal error"} in English."""
        if response.status_code >= 500 and request.path.startswith("/api/") and \
                response.is_json:
            body = response.get_json(silent=True)
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            if not any("\u4e00" <= ch <= "\u9fff" for ch in message):
                response.set_data(jsonify(message=_("系统错误，请稍后重试")).get_data())
        return response
