"""create_app(): the Flask application of 大客户管理台."""
import logging
import os

from flask import Flask, request

from app.extensions import appbuilder, csrf, db, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object("config")
    app.config.update(overrides or {})
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=app.config.get("LOG_LEVEL", logging.INFO))
    os.makedirs(app.instance_path, exist_ok=True)

    from app import models  # noqa: F401  (maps every register before FAB starts)

    db.init_app(app)
    csrf.init_app(app)
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
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"),
                     render_as_batch=True, compare_type=True)

    from app.cli import register_cli
    register_cli(app)
    return app


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
            return None
        csrf.protect()
        return None
