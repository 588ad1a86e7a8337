"""Error pages in the reader's language (Werkzeug's defaults are English)."""
from flask import g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

MESSAGES = {
    400: (_l("请求无效"), _l("请求无效或已过期，请返回上一页刷新后重试。")),
    403: (_l("没有权限"), _l("您没有执行此操作的权限。如需开通，请联系系统管理员。")),
    404: (_l("未找到"), _l("您要找的页面或记录不存在，或者不在您的查看范围内。")),
    405: (_l("不允许的操作"), _l("此地址不接受这种请求方式。")),
    429: (_l("请求过于频繁"), _l("尝试次数过多，请稍后再试。")),
    500: (_l("系统错误"), _l("系统出现错误，请稍后重试；如问题持续，请联系系统管理员。")),
}


def register_error_pages(app, appbuilder) -> None:
    def render(error):
        code = getattr(error, "code", 500) or 500
        title, text = MESSAGES.get(code, MESSAGES[500])
        if request.path.startswith("/api/"):
            return jsonify(message=str(text)), code
        if not hasattr(g, "user"):  # refused before FAB's before_request ran (CSRF)
            g.user = current_user
        return render_template("error.html", code=code, title=title, text=text,
                               base_template=appbuilder.base_template,
                               appbuilder=appbuilder), code

    for code in MESSAGES:
        app.register_error_handler(code, render)
