"""`flask backup` and `flask restore` (DESIGN.md §9): a consistent copy while the console
runs, and bringing it back into an empty database.

SQLite: the online backup API of sqlite3 (a consistent snapshot even while the app
writes). PostgreSQL: pg_dump in its custom format (one snapshot transaction) and
pg_restore. The password goes to the tools through PGPASSWORD, never the command line.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SQLITE_TRIGGERS = {"audit_log_no_update", "audit_log_no_delete"}  # migration 0017
PG_TRIGGERS = {"audit_log_append_only"}

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
    write_manifest(url, target)
    return target


# --- the manifest: what `restore` verifies before it touches the target ---------------
def manifest_path(source) -> str:
    return source + ".manifest.json"


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _revision(connection) -> str | None:
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _sqlite_counts(path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        names = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]
                for n in sorted(names)}


def write_manifest(url, target) -> None:
    """sha256 of the file, the alembic revision and (SQLite) every table's row count."""
    if kind(url) == "sqlite":
        with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as connection:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        counts = _sqlite_counts(target)
    else:
        engine = create_engine(str(url))
        try:
            with engine.connect() as connection:
                revision = _revision(connection)
        finally:
            engine.dispose()
        counts = None  # pg_dump's snapshot is not the live count
    with open(manifest_path(target), "w", encoding="utf-8") as fh:
        json.dump({"sha256": _sha256(target), "revision": revision, "tables": counts}, fh,
                  ensure_ascii=False, indent=1)


def verify_file(url, source) -> dict:
    """Refuse a file that is not exactly what `flask backup` wrote: the manifest's checksum,
    then the format's own check (SQLite integrity_check, pg_restore --list)."""
    try:
        with open(manifest_path(source), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        raise BackupError(f"缺少或无法读取校验清单 {manifest_path(source)}，"
                          "只能恢复 flask backup 写出的备份") from None
    if not isinstance(manifest, dict) or manifest.get("sha256") != _sha256(source):
        raise BackupError("备份文件与校验清单不符（文件被截断或改动），未恢复")
    if kind(url) == "sqlite":
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as connection:
                result = [r[0] for r in connection.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"备份文件已损坏：{error}") from None
        if result != ["ok"]:
            raise BackupError("备份文件已损坏：" + "；".join(result[:5]))
    else:
        done = subprocess.run([_tool("pg_restore"), "--list", source],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"备份文件已损坏：{done.stderr.strip()}")
    return manifest


def _known_revision(revision) -> bool:
    """A revision of this console's migrations (an older copy is upgraded afterwards)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    config = Config()
    config.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    try:
        return revision is not None and \
            ScriptDirectory.from_config(config).get_revision(revision) is not None
    except CommandError:
        return False


def check_restored(url, manifest) -> None:
    """After restoring: the schema is the migrations' (revision, audit triggers) and the
    rows are the manifest's."""
    engine = create_engine(str(url))
    try:
        with engine.connect() as connection:
            revision = _revision(connection)
            if kind(url) == "sqlite":
                triggers = {r[0] for r in connection.execute(text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
                wanted = SQLITE_TRIGGERS
            else:
                triggers = {r[0] for r in connection.execute(text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))}
                wanted = PG_TRIGGERS
    finally:
        engine.dispose()
    if revision != manifest.get("revision") or not _known_revision(revision):
        raise BackupError(f"恢复出的数据库版本 {revision} 与校验清单或本系统的迁移不符")
    if not wanted <= triggers:
        raise BackupError("恢复出的数据库缺少操作日志的保护触发器："
                          + "、".join(sorted(wanted - triggers)))
    if kind(url) == "sqlite" and _sqlite_counts(_sqlite_path(url)) != manifest.get("tables"):
        raise BackupError("恢复出的各表行数与校验清单不符")


def _empty_again(url) -> None:
    """A failed restore leaves the target as it found it: empty."""
    if kind(url) == "sqlite":
        path = _sqlite_path(url)
        for leftover in (path, path + "-wal", path + "-shm", path + "-journal"):
            if os.path.exists(leftover):
                os.remove(leftover)
        return
    engine = create_engine(str(url))
    try:
        with engine.begin() as connection:
            for name in inspect(connection).get_table_names():
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            connection.execute(text("DROP FUNCTION IF EXISTS audit_log_append_only()"))
    finally:
        engine.dispose()


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
    """Bring the backup `source` back into the empty database at `url`: verified first,
    applied in one go, checked after; on any failure the target is left empty."""
    check_restorable(url, source)
    manifest = verify_file(url, source)
    try:
        _apply(url, source)
        check_restored(url, manifest)
    except BaseException:
        _empty_again(url)
        raise


def _apply(url, source) -> None:
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
                           "--exit-on-error", "--single-transaction", "--dbname", uri, source],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore 失败：{done.stderr.strip()}")
