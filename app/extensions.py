"""Extension singletons, bound to the app in create_app(), and the SQLite connection set-up."""
import sqlite3

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

db = SQLA()
BRAND = _l("大客户管理台")  # APP_NAME in config.py; this line puts it in the catalogs


class ConsoleAppBuilder(AppBuilder):
    """The brand in the reader's language; pages on console_base.html (our CSS and JS)."""

    @property
    def app_name(self):
        name = current_app.config["APP_NAME"]
        return gettext(name)


appbuilder = ConsoleAppBuilder(base_template="console_base.html")
migrate = Migrate()
csrf = CSRFProtect()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite, the embedded default, serves several threads (web requests and background
    exports): WAL lets readers and one writer work at once, and a busy timeout makes a
    writer wait for the lock instead of failing at once with "database is locked"."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
