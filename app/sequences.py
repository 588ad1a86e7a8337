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
    """Take the next number in the caller's transaction.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite), so two
    concurrent creates cannot get the same number; a rolled-back create leaves a gap,
    which is how a number stays never reused.
    """
    bump = (update(CodeSequence)
            .where(CodeSequence.prefix == prefix, CodeSequence.year == year)
            .values(last=CodeSequence.last + 1)
            .returning(CodeSequence.last))
    number = session.execute(bump).scalar()
    if number is None:
        try:
            with session.begin_nested():
                session.execute(insert(CodeSequence).values(prefix=prefix, year=year, last=1))
            number = 1
        except IntegrityError:  # another transaction created the counter first
            number = session.execute(bump).scalar()
    return f"{prefix}{year}-{number:0{width}d}"


def peek(session, prefix: str, year: int) -> int:
    return session.scalar(select(CodeSequence.last).where(
        CodeSequence.prefix == prefix, CodeSequence.year == year)) or 0
