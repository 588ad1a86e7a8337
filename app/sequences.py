"""Human codes like KH2026-00001: per prefix and year, never reused, safe under concurrency."""
from flask_appbuilder import Model
from sqlalchemy import Column, Integer, String, UniqueConstraint, insert, select, update
from sqlalchemy.exc import IntegrityError


class CodeSequence(Model):
    __tablename__ = "code_sequence"
    __table_args__ = (UniqueConstraint("prefix", "year", name="uq_code_sequence"),)

    id = Column(Integer, primary_key=True)
    prefix = Column(String(10), nullable=False)
    year = Column(Integer, nullable=False)
    last = Column(Integer, nullable=False, default=0)


def next_code(session, prefix: str, year: int, width: int = 5) -> str:
    """`session` may be a Session or a Connection (from a before_insert event)."""
    return next_codes(session, prefix, year, 1, width)[0]


def next_codes(session, prefix: str, year: int, count: int, width: int = 5) -> list[str]:
    """Take the next `count` numbers in the caller's transaction (one UPDATE for all).

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite), so two
    concurrent creates cannot get the same number; a rolled-back create leaves a gap,
    which is how a number stays never reused.
    """
    bump = (update(CodeSequence)
            .where(CodeSequence.prefix == prefix, CodeSequence.year == year)
            .values(last=CodeSequence.last + count)
            .returning(CodeSequence.last))
    last = session.execute(bump).scalar()
    if last is None:
        try:
            with session.begin_nested():
                session.execute(insert(CodeSequence).values(prefix=prefix, year=year,
                                                            last=count))
            last = count
        except IntegrityError:  # another transaction created the counter first
            last = session.execute(bump).scalar()
    return [f"{prefix}{year}-{n:0{width}d}" for n in range(last - count + 1, last + 1)]


def peek(session, prefix: str, year: int) -> int:
    return session.scalar(select(CodeSequence.last).where(
        CodeSequence.prefix == prefix, CodeSequence.year == year)) or 0
