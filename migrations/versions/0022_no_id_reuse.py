"""ids are never reused on SQLite: every table with an integer id becomes AUTOINCREMENT

Without AUTOINCREMENT SQLite gives a new row the highest id + 1, so deleting the newest
row hands its id to the next one, and the audit log and transition log (keyed by
table and row id) would show the deleted row's history on the new row. PostgreSQL's
sequences never go back: nothing to do there.

SQLite cannot alter a primary key: each table is rebuilt the way the SQLite manual
describes (new table, copy, drop, rename, then its indexes and triggers again) from its
own CREATE statement with only the key clause changed, so columns, constraints, indexes,
the FTS triggers and the audit log's append-only triggers stay exactly as they were. The
sequence starts above every id the table or its logs ever held, so ids of rows deleted
before this migration are not handed out again either.

Revision ID: 0022_no_id_reuse
Revises: 0021_task_queue
"""
import re

from alembic import op
from sqlalchemy import text

revision = '0022_no_id_reuse'
down_revision = '0021_task_queue'
branch_labels = None
depends_on = None

PLAIN_KEY = re.compile(r"(\n\s*id INTEGER NOT NULL),(.*?),\s*PRIMARY KEY \(id\)", re.S)
AUTO_KEY = re.compile(r"(\n\s*id INTEGER NOT NULL) PRIMARY KEY AUTOINCREMENT,")
# SQLAlchemy writes the primary key first of the table constraints, after the columns
TABLE_CONSTRAINT = re.compile(r"\n\s*(CONSTRAINT|FOREIGN KEY|UNIQUE|CHECK)\b|\n\)\s*$")
LOGS = (("audit_log", "resource"), ("transition_log", "register"))


def _autoincrement(sql: str) -> str | None:
    if PLAIN_KEY.search(sql) is None:
        return None
    return PLAIN_KEY.sub(r"\1 PRIMARY KEY AUTOINCREMENT,\2", sql, count=1)


def _plain(sql: str) -> str | None:
    if AUTO_KEY.search(sql) is None:
        return None
    sql = AUTO_KEY.sub(r"\1,", sql, count=1)
    at = TABLE_CONSTRAINT.search(sql)
    if at.group(1):
        return sql[:at.start()] + "\n\tPRIMARY KEY (id), " + sql[at.start():]
    return sql[:at.start()].rstrip().rstrip(",") + ", \n\tPRIMARY KEY (id)" + sql[at.start():]


def _rebuild(conn, table: str, create_sql: str) -> None:
    """The SQLite manual's generalized ALTER TABLE: same columns and rows, new CREATE."""
    others = conn.execute(text(
        "SELECT sql FROM sqlite_master WHERE tbl_name = :t AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type"), {"t": table}).scalars().all()
    staged = f"{table}__rebuilt"
    named = re.match(r'CREATE TABLE ("?)%s\1 ' % re.escape(table), create_sql)
    conn.execute(text(f"CREATE TABLE {staged} " + create_sql[named.end():]))
    conn.execute(text(f'INSERT INTO {staged} SELECT * FROM "{table}"'))
    conn.execute(text(f'DROP TABLE "{table}"'))
    conn.execute(text(f'ALTER TABLE {staged} RENAME TO "{table}"'))
    for sql in others:
        conn.execute(text(sql))


def _tables(conn) -> list[tuple[str, str]]:
    return conn.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")).all()


def _dangling(conn) -> set:
    return set(conn.execute(text("PRAGMA foreign_key_check")).all())


def _rewrite(change) -> list[str]:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return []
    if conn.execute(text("PRAGMA foreign_keys")).scalar():
        raise RuntimeError("run this migration with PRAGMA foreign_keys=OFF (the app's default)")
    rebuilt, dangling = [], _dangling(conn)
    for table, sql in _tables(conn):
        new_sql = change(sql or "")
        if new_sql is not None:
            _rebuild(conn, table, new_sql)
            rebuilt.append(table)
    broken = _dangling(conn) - dangling
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {sorted(broken)[:5]}")
    analysed = set(conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()) \
        if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
                        ).scalar() else set()
    conn.execute(text("PRAGMA analysis_limit=1000"))
    for table in rebuilt:
        if table in analysed:
            conn.execute(text(f'ANALYZE "{table}"'))
    return rebuilt


def upgrade():
    for table in _rewrite(_autoincrement):
        conn = op.get_bind()
        highest = [conn.execute(text(f'SELECT max(id) FROM "{table}"')).scalar()]
        for log, column in LOGS:
            if table != log:
                highest.append(conn.execute(text(
                    f"SELECT max(row_id) FROM {log} WHERE {column} = :t"), {"t": table}).scalar())
        start = max((n for n in highest if n is not None), default=0)
        conn.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
                     {"t": table, "n": start})


def downgrade():
    _rewrite(_plain)
