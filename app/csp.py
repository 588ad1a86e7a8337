"""Content-Security-Policy on every answer: the browser runs only the console's own script
files and the inline blocks that carry this request's nonce, so a slip in escaping
somebody's text into a page cannot run script (issue 23).

FAB's templates and ours write `nonce="{{ baselib.get_nonce() }}"` on each <script>;
FAB's macro calls `csp_nonce()`, given here as a Jinja global (imported macros see
globals, not the context). No inline event handlers, no `javascript:` URLs, no eval.
Styles may stay inline: Bootstrap, Select2 and the datepicker set style attributes.
"""
import secrets

from flask import g

NONCE_KEY = "_csp_nonce"


def csp_nonce() -> str:
    """This request's nonce (made on first use, so a page without inline script has none)."""
    nonce = g.get(NONCE_KEY)
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        setattr(g, NONCE_KEY, nonce)
    return nonce


def policy(nonce: str | None) -> str:
    script = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join((
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",  # ECharts' 保存为图片 is a data: URL
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ))


def init_csp(app) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _content_security_policy(response):
        response.headers["Content-Security-Policy"] = policy(g.get(NONCE_KEY))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
