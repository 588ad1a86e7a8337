"""Sessions and tokens end at logout, at a password change and at deactivation (DESIGN.md §9).

Every user has a `session_epoch`; a web session stores the epoch it was signed in at and
every JWT carries it as a claim. Logout and a password change move the epoch on, so every
older cookie, access token and refresh token stops working on every app server at once.
"""
import os

from flask import current_app, request, send_from_directory, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import user_logged_in

EPOCH_KEY = "_epoch"
STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")


class QuietSessionInterface(SecureCookieSessionInterface):
    """Error and static answers never write the session cookie.

    A browser fetches /favicon.ico (and static files) alongside the login page with the
    cookie it had before; if that answer rewrote the cookie it could drop the CSRF token
    the login page just stored, and the next login would fail with 400.
    """

    def save_session(self, app, sess, response):
        endpoint = request.endpoint or ""
        if response.status_code >= 400 or endpoint in ("static", "favicon") or \
                endpoint.endswith(".static"):
            return
        super().save_session(app, sess, response)


def remember_epoch(user) -> None:
    session[EPOCH_KEY] = user.session_epoch or 0


def end_sessions(user, keep_current: bool = False) -> None:
    """Every session and token of `user` issued so far stops working."""
    user.session_epoch = (user.session_epoch or 0) + 1
    if keep_current:
        remember_epoch(user)


def session_is_current(user) -> bool:
    return session.get(EPOCH_KEY) == (user.session_epoch or 0)


def token_is_current(user, jwt_data: dict) -> bool:
    return jwt_data.get("epoch") == (user.session_epoch or 0)


def init_sessions(app) -> None:
    app.session_interface = QuietSessionInterface()

    @user_logged_in.connect_via(app)
    def _stamp(_sender, user, **_extra):
        remember_epoch(user)

    @app.route("/favicon.ico")
    def favicon():
        return send_from_directory(STATIC_DIR, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                   max_age=current_app.config.get("FAVICON_MAX_AGE", 86400))
