"""`flask backup` and `flask restore` (DESIGN.md §9): a consistent copy while the console
runs, and bringing it back into an empty database.

SQLite: the online backup API of sqlite3 (a consistent snapshot even while the app
writes). PostgreSQL: pg_dump in its custom format (one snapshot transaction) and
pg_restore. The password goes to the tools through PGPASSWORD, never the command line.
"""
import os
import shutil
import sqlite3
import subprocess

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    pass


def kind(url) -> str:
    backend = make_url(str(url)).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持的数据库类型：{backend}")
    return backend


def default_name(url, stamp) -> str:
    return f"console-{stamp:%Y%m%d-%H%M%S}." + ("sqlite3" if kind(url) == "sqlite" else "dump")


def _sqlite_path(url) -> str:
    path = make_url(str(url)).database
    if not path or path == ":memory:":
        raise BackupError("内存数据库无法备份")
    return path


def _pg_args(url) -> tuple[str, dict]:
    """A libpq URI without the password, and the environment that carries it."""
    parsed = make_url(str(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    uri = parsed.set(drivername="postgresql", password=None)
    return uri.render_as_string(hide_password=False), env


def _tool(name) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装与数据库服务器版本相同的 PostgreSQL 客户端")
    return path


def backup(url, target) -> str:
    """Write a consistent copy of the database at `url` to the file `target`."""
    if os.path.exists(target):
        raise BackupError(f"文件已存在：{target}")
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    part = target + ".part"
    try:
        if kind(url) == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            copy = sqlite3.connect(part)
            try:
                source.backup(copy)  # online backup: a consistent snapshot
            finally:
                copy.close()
                source.close()
        else:
            uri, env = _pg_args(url)
            done = subprocess.run([_tool("pg_dump"), "--format=custom", "--file", part,
                                   "--dbname", uri], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(f"pg_dump 失败：{done.stderr.strip()}")
        os.replace(part, target)
    finally:
        if os.path.exists(part):
            os.remove(part)
    return target


def table_names(url) -> list[str]:
    engine = create_engine(str(url))
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def check_restorable(url, source) -> None:
    """Refuse a missing or foreign file and a database that is not empty."""
    if not os.path.isfile(source):
        raise BackupError(f"找不到备份文件：{source}")
    with open(source, "rb") as fh:
        head = fh.read(16)
    wanted = SQLITE_MAGIC if kind(url) == "sqlite" else PG_MAGIC
    if not head.startswith(wanted):
        raise BackupError("备份文件与目标数据库类型不符（SQLite 备份只能恢复到 SQLite，"
                          "pg_dump 备份只能恢复到 PostgreSQL）")
    existing = table_names(url)
    if existing:
        raise BackupError(f"目标数据库不是空的（已有 {len(existing)} 张表），"
                          "只能恢复到空数据库")


def restore(url, source) -> None:
    """Bring the backup `source` back into the empty database at `url`."""
    check_restorable(url, source)
    if kind(url) == "sqlite":
        path = _sqlite_path(url)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        backup_file = sqlite3.connect(source)
        target = sqlite3.connect(path)
        try:
            backup_file.backup(target)
        finally:
            target.close()
            backup_file.close()
        return
    uri, env = _pg_args(url)
    done = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges",
                           "--exit-on-error", "--dbname", uri, source],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore 失败：{done.stderr.strip()}")
