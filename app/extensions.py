"""Extension singletons, bound to the app in create_app()."""
from flask import current_app
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

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
