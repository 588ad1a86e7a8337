"""create_app(): the Flask application of 大客户管理台."""
import gc
import logging
import os

from flask import Flask, request, session
from flask_jwt_extended import verify_jwt_in_request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import appbuilder, csrf, db, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object("config")
    app.config.update(overrides or {})
    _require_secret_keys(app)
    _trust_proxies(app)
    _configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    os.makedirs(app.instance_path, exist_ok=True)

    from app import models  # noqa: F401  (maps every register before FAB starts)

    db.init_app(app)
    csrf.init_app(app)
    from app.csp import init_csp
    from app.guards import init_guards
    from app.sessions import init_sessions
    init_sessions(app)
    init_csp(app)
    init_guards(app, db)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        from app.form_messages import install as install_form_messages
        install_form_messages()
        from app.views import register_views
        register_views(appbuilder)
        from app.security_labels import collect_labels
        collect_labels(appbuilder)
        _protect_api_from_csrf(app)
        from app.errors_pages import register_error_pages
        register_error_pages(app, appbuilder)
    from app.queue import init_queue
    init_queue(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"),
                     render_as_batch=True, compare_type=True)

    from app.cli import register_cli
    register_cli(app)
    # The ~300,000 objects of FAB, SQLAlchemy and the views live as long as the process:
    # frozen, the collector's full passes skip them (they paused a request for ~140 ms).
    gc.freeze()
    return app


def _configure_logging(level) -> None:
    """FAB logs each permission it creates at INFO (~800 lines on a new database):
    its detail shows at DEBUG only."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    debug = isinstance(number, int) and number <= logging.DEBUG
    logging.getLogger("flask_appbuilder").setLevel(logging.DEBUG if debug else logging.WARNING)


def _trust_proxies(app: Flask) -> None:
    """X-Forwarded-For/-Proto/-Host are believed only from the PROXY_COUNT proxies in front
    of the app (ProxyFix takes the address that many hops from the right); with 0 (the
    default) they are ignored and the address is the peer's (audit log, lockout)."""
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


class MissingSecretKey(RuntimeError):
    pass


def _require_secret_keys(app: Flask) -> None:
    """DESIGN.md §9: keys come from the environment; no start with a known or weak one."""
    from app.keys import key_problem
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        key = app.config.get(name)
        if name == "JWT_SECRET_KEY" and not key:
            continue  # flask-jwt-extended signs with SECRET_KEY then
        problem = key_problem(key)
        if problem:
            raise MissingSecretKey(
                f"{name} {problem}. Set a random one in the environment, e.g.\n"
                f"  export {name}=$(python3 -c 'import secrets; print(secrets.token_hex(32))')\n"
                "(`make run` creates instance/secret_key for local use and passes it on.)")


def _protect_api_from_csrf(app: Flask) -> None:
    """The REST API authenticates by JWT; a browser session riding it needs the CSRF token.

    FAB exempts its API blueprints from CSRFProtect; a write that comes with the
    session cookie instead of a bearer token must still carry X-CSRFToken.
    """
    @app.before_request
    def _csrf_for_cookie_writes():
        if not request.path.startswith("/api/") or request.method in SAFE_METHODS:
            return None
        if request.path.rstrip("/") == "/api/v1/security/login":
            return None
        if request.headers.get("Authorization", "").startswith("Bearer "):
            try:
                verify_jwt_in_request()
                return None  # a valid token: the request is the token holder's
            except Exception:  # noqa: BLE001 — any bad token: judged like no token
                if "_user_id" not in session:
                    return None  # no session either: FAB answers 401
        csrf.protect()
        return None
