"""Account lockout (DESIGN.md §9): ten failed logins of one account within 15 minutes lock
it for 15 minutes, on the web form and the JWT API alike. The account is its name in
lower case, as FAB finds it (CLERK2 is clerk2).

Failures are rows in `login_failure`, so every app server (and every gunicorn worker)
counts the same ones. A successful login or an admin's 解除锁定 clears the account's
failures. Attempts while locked are refused without checking the password and without
being counted. `now` is injectable so tests need not sleep.
"""
from datetime import datetime, timedelta

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Index, Integer, String, delete, func, select

from app.timeutil import now_cn

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)


class LoginFailure(Model):
    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_username_at", "username", "at"),)

    id = Column(Integer, primary_key=True)
    username = Column(String(100), nullable=False)
    at = Column(DateTime, nullable=False, default=now_cn)
    ip = Column(String(64))


def _key(username) -> str:
    # FAB finds users whatever the case of the name: every spelling shares one counter
    return (username or "").strip().lower()[:100]


def locked_until(session, username, now: datetime | None = None) -> datetime | None:
    """When the account's lock ends, or None when it is not locked now."""
    now = now or now_cn()
    times = session.scalars(
        select(LoginFailure.at).where(LoginFailure.username == _key(username),
                                      LoginFailure.at > now - WINDOW - LOCK_FOR)
        .order_by(LoginFailure.at.desc()).limit(MAX_FAILURES)).all()
    if len(times) < MAX_FAILURES or times[0] - times[-1] > WINDOW:
        return None
    until = times[0] + LOCK_FOR
    return until if now < until else None


def note_failure(session, username, ip=None, now: datetime | None = None) -> datetime | None:
    """Count one failed login (the caller commits); returns the lock's end if it now holds."""
    now = now or now_cn()
    session.execute(delete(LoginFailure).where(  # older ones no longer count for anybody
        LoginFailure.at < now - WINDOW - LOCK_FOR))
    session.add(LoginFailure(username=_key(username), at=now, ip=ip))
    session.flush()
    return locked_until(session, username, now)


def clear(session, username) -> int:
    """Forget the account's failures (successful login, admin unlock); the caller commits."""
    return session.execute(
        delete(LoginFailure).where(LoginFailure.username == _key(username))).rowcount


def locked_accounts(session, now: datetime | None = None) -> list[tuple[str, datetime]]:
    """(username, locked until) of the accounts locked now: one GROUP BY finds the few
    candidates, each then checked by the rule itself."""
    now = now or now_cn()
    candidates = session.scalars(
        select(LoginFailure.username).where(LoginFailure.at > now - WINDOW - LOCK_FOR)
        .group_by(LoginFailure.username).having(func.count() >= MAX_FAILURES)
        .order_by(LoginFailure.username)).all()
    locked = [(name, locked_until(session, name, now)) for name in candidates]
    return [(name, until) for name, until in locked if until is not None]
