"""Configuration of 大客户管理台. Secrets and the database come from the environment."""
import os

from flask_appbuilder.security.manager import AUTH_DB

from app.passwords import validate_password

basedir = os.path.abspath(os.path.dirname(__file__))

# --------------------------------------------------------------------------
# Security
# --------------------------------------------------------------------------
# Sessions are signed cookies and API tokens signed JWTs: every app server must share
# these keys, and they come from the environment only (DESIGN.md §9). `make run` writes a
# random key into instance/secret_key once and passes it in; create_app() refuses to start
# without one.
SECRET_KEY = os.environ.get("SECRET_KEY") or None
JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY") or None  # None: the SECRET_KEY
WTF_CSRF_ENABLED = True
# WTForms' own catalogs have no Traditional Chinese: let FAB translate its messages
# through our catalogs instead.
WTF_I18N_ENABLED = False
WTF_CSRF_TIME_LIMIT = None


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


# Logging: INFO shows what a user needs; FAB's start-up detail (one "Created Permission"
# line per permission) only at LOG_LEVEL=DEBUG.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()

# Cookies: behind HTTPS set SESSION_COOKIE_SECURE=1 (`make serve` documents it).
SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
SESSION_COOKIE_HTTPONLY = _flag("SESSION_COOKIE_HTTPONLY", True)
SESSION_COOKIE_SAMESITE = os.environ.get("SESSION_COOKIE_SAMESITE", "Lax")
SESSION_COOKIE_NAME = os.environ.get("SESSION_COOKIE_NAME", "session")
SESSION_COOKIE_DOMAIN = os.environ.get("SESSION_COOKIE_DOMAIN") or None
REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
REMEMBER_COOKIE_HTTPONLY = True
PERMANENT_SESSION_LIFETIME = int(os.environ.get("SESSION_LIFETIME_SECONDS", 8 * 3600))
JWT_ACCESS_TOKEN_EXPIRES = int(os.environ.get("JWT_ACCESS_TOKEN_SECONDS", 15 * 60))

AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False
FAB_PASSWORD_COMPLEXITY_ENABLED = True
FAB_PASSWORD_COMPLEXITY_VALIDATOR = validate_password  # FAB calls it: a function, not a name

# Proxies in front of the app (nginx: 1). Only that many X-Forwarded-For hops are
# believed (Werkzeug's ProxyFix); 0 = none, the peer's address is the client's.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

# Login rate limiting (web and API login). Several app servers must share a
# storage for the limits to hold across them, e.g. redis://host:6379/0.
RATELIMIT_ENABLED = True
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 1 minute")
RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
RATELIMIT_HEADERS_ENABLED = True

FAB_SECURITY_MANAGER_CLASS = "app.security.ConsoleSecurityManager"
FAB_ADD_SECURITY_API = False
FAB_API_SWAGGER_UI = False
# Roles are edited in 权限矩阵 (app/views/roles_matrix.py); FAB's raw permission,
# view-menu and permission-on-view lists stay out of the menu.
FAB_ADD_SECURITY_PERMISSION_VIEW = False
FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
# Tables come from migrations and permissions from `flask init-roles`:
# app servers never write schema or permissions when they start.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False

# --------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "DATABASE_URL", "sqlite:///" + os.path.join(basedir, "instance", "console.db")
)
if SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
    SQLALCHEMY_DATABASE_URI = "postgresql://" + SQLALCHEMY_DATABASE_URI[len("postgres://"):]
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# --------------------------------------------------------------------------
# Languages
# --------------------------------------------------------------------------
BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
BABEL_TRANSLATION_DIRECTORIES = os.path.join(basedir, "translations")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "zh_TW": {"flag": "tw", "name": "繁體中文"},
    "en": {"flag": "gb", "name": "English"},
}

# --------------------------------------------------------------------------
# Application
# --------------------------------------------------------------------------
APP_NAME = "大客户管理台"
APP_THEME = ""
FAB_API_MAX_PAGE_SIZE = 500
FAB_INDEX_VIEW = "app.views.home.HomeView"
# Receptions estimated above this cost (yuan) need the Executive's approval; up to it a
# Supervisor's (policy 01 二 §13 按审批权限). Override with the environment variable.
RECEPTION_EXECUTIVE_LIMIT = os.environ.get("RECEPTION_EXECUTIVE_LIMIT", "5000")
# Exports above this many rows, and imports above IMPORT_BACKGROUND_ROWS, run on the task
# queue (app/queue.py): web requests only enqueue them and show their progress.
EXPORT_BACKGROUND_ROWS = 50000
IMPORT_BACKGROUND_ROWS = 2000
# One file store for every server (exports, later attachments): in a cluster a folder every
# server and the worker mount. EXPORT_DIR is the name it had before.
FILES_DIR = os.environ.get("FILES_DIR") or os.environ.get("EXPORT_DIR") or \
    os.path.join(basedir, "instance", "files")

# --------------------------------------------------------------------------
# Task queue (Huey)
# --------------------------------------------------------------------------
# Redis when REDIS_URL is set (every server and worker of a cluster); otherwise a SQLite
# store in instance/, for `make run` and its consumer.
REDIS_URL = os.environ.get("REDIS_URL") or None
HUEY_SQLITE_PATH = os.path.join(basedir, "instance", "huey.db")
HUEY_IMMEDIATE = _flag("HUEY_IMMEDIATE", False)  # run tasks in the caller (tests)
HUEY_WORKERS = int(os.environ.get("HUEY_WORKERS", 2))
# A running job writes a sign of life this often; one silent for JOB_STALE_SECONDS has lost
# its worker and is run again (at most JOB_ATTEMPTS times in all), then failed.
JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", 30))
JOB_STALE_SECONDS = float(os.environ.get("JOB_STALE_SECONDS", 180))
JOB_ATTEMPTS = 2
