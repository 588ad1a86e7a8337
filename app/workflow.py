"""One declarative state machine for every register that is approved (DESIGN.md §3).

A register declares `workflow = Workflow(...)` beside its model; `fire()` is the only
writer of `status`. Each step is a FAB permission `can_<step>` on the register's view,
so admins grant steps to roles in the console.
"""
from dataclasses import dataclass, field
from typing import Callable, Iterable

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import relationship

from app.timeutil import now_cn

ANY = "*"


class TransitionError(Exception):
    status = 400

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


class StepForbidden(TransitionError):
    status = 403


class StepNotAllowed(TransitionError):
    status = 409


class StepNeedsInput(TransitionError):
    status = 422


@dataclass(frozen=True)
class Step:
    name: str
    sources: tuple[str, ...]
    target: str | None  # None: a recorded act that keeps the row's state (e.g. 上报集团)
    label: object
    roles: tuple[str, ...] = ()
    comment: bool = False  # a comment is required
    needs: tuple[str, ...] = ()  # row fields that must be filled (the body may carry them)
    fields: tuple[str, ...] = ()  # optional row fields the body may carry
    stamp: str | None = None  # a datetime column set to now when the step runs
    guard: Callable | None = None  # guard(obj, actor, can) raises a TransitionError
    # ready(model, actor) → SQL clause: the rows on which the guard passes for actor and
    # which wait for actor (the 待办, app/worklist.py); needed beside every guard.
    ready: Callable | None = None
    after: Callable | None = None  # after(obj, actor, session) in the same transaction
    help: object = None  # who runs it by the policy (a job title), shown as the button's tip

    def starts_from(self, state: str) -> bool:
        return ANY in self.sources or state in self.sources


def step(name, source, target, label, roles=(), **options) -> Step:
    sources = (source,) if isinstance(source, str) else tuple(source)
    return Step(name, sources, target, label, tuple(roles), **options)


@dataclass
class Workflow:
    initial: str
    states: dict  # state → Chinese label
    steps: list
    editable: tuple[str, ...] = ("draft", "returned")
    by_name: dict = field(init=False)

    def __post_init__(self):
        self.by_name = {s.name: s for s in self.steps}
        for s in self.steps:
            unknown = {s.target, *s.sources} - set(self.states) - {ANY, None}
            if unknown:
                raise ValueError(f"step {s.name}: unknown states {unknown}")

    def state_label(self, state):
        return self.states.get(state, state)

    def steps_from(self, state: str) -> list:
        return [s for s in self.steps if s.starts_from(state)]


def send_back(sources: Iterable[str], label=_l("退回"), roles=("Supervisor",)) -> Step:
    """Return a row to its owner: needs a comment; the owner edits and submits again."""
    return step("send_back", tuple(sources), "returned", label, roles=roles, comment=True)


def reject(sources: Iterable[str], label=_l("拒绝"), roles=("Supervisor",)) -> Step:
    return step("reject", tuple(sources), "rejected", label, roles=roles, comment=True)


class TransitionLog(Model):
    """Who moved which row from which state to which, when, and why."""

    __tablename__ = "transition_log"
    __table_args__ = (Index("ix_transition_log_row", "register", "row_id"),)

    id = Column(Integer, primary_key=True)
    register = Column(String(50), nullable=False)
    row_id = Column(Integer, nullable=False)
    step = Column(String(50), nullable=False)
    from_state = Column(String(30), nullable=False)
    to_state = Column(String(30), nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    user = relationship("ConsoleUser")
    at = Column(DateTime, nullable=False, default=now_cn)
    comment = Column(Text)


def history(session, obj) -> list:
    return session.scalars(
        select(TransitionLog)
        .where(TransitionLog.register == obj.__tablename__, TransitionLog.row_id == obj.id)
        .order_by(TransitionLog.at, TransitionLog.id)
    ).all()


def available(obj, can: Callable[[str], bool], actor=None) -> list:
    """The steps the user may run on this row now (drives the buttons): permitted, from
    this state, and not refused by the step's guard."""
    def allowed(chosen) -> bool:
        if chosen.guard is None:
            return True
        try:
            chosen.guard(obj, actor, can)
        except TransitionError:
            return False
        return True
    return [s for s in obj.workflow.steps_from(obj.status) if can(f"can_{s.name}") and allowed(s)]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def fire(session, obj, name: str, actor, can: Callable[[str], bool],
         comment: str | None = None, data: dict | None = None) -> Step:
    """Run step `name` on `obj` for `actor` and commit, or raise a TransitionError.

    Refusals in DESIGN.md order: 403 (no permission), 409 (state), 422 (input).
    The caller has already answered 404 for rows out of scope.
    """
    flow = obj.workflow
    chosen = flow.by_name.get(name) if flow else None
    if chosen is None:
        raise StepNotAllowed(_l("没有这个流程步骤：%(name)s", name=name))
    if not can(f"can_{name}"):
        raise StepForbidden(_l("您没有执行“%(step)s”的权限", step=chosen.label))
    if not chosen.starts_from(obj.status):
        raise StepNotAllowed(_l("当前状态“%(state)s”不能执行“%(step)s”",
                                state=flow.state_label(obj.status), step=chosen.label))
    data = data or {}
    comment = comment if comment is not None else data.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise StepNeedsInput(_l("意见应为文本"))
    comment = (comment or "").strip() or None
    if chosen.comment and not comment:
        raise StepNeedsInput(_l("“%(step)s”需要填写意见", step=chosen.label))
    source = obj.status
    try:
        for column in chosen.needs + chosen.fields:
            if not _blank(data.get(column)):
                setattr(obj, column, data[column])
        from app.rows import column_problem  # noqa: PLC0415 (rows → scope → models → here)
        problem = column_problem(obj, only=[c for c in chosen.needs + chosen.fields
                                            if not _blank(data.get(c))])
        if problem:  # a date outside 1900–2100, a value beyond its column
            raise StepNeedsInput(problem.message)
        missing = [c for c in chosen.needs if _blank(getattr(obj, c, None))]
        if missing:
            labels = "、".join(str(getattr(obj, "field_labels", {}).get(c, c)) for c in missing)
            raise StepNeedsInput(_l("“%(step)s”需要填写：%(fields)s",
                                    step=chosen.label, fields=labels))
        if chosen.guard:
            chosen.guard(obj, actor, can)
        if chosen.target is not None:
            obj.status = chosen.target
        if chosen.stamp:
            now = now_cn()
            is_datetime = isinstance(type(obj).__table__.c[chosen.stamp].type, DateTime)
            setattr(obj, chosen.stamp, now if is_datetime else now.date())
        session.add(TransitionLog(register=obj.__tablename__, row_id=obj.id, step=name,
                                  from_state=source, to_state=obj.status,
                                  user_id=actor.id, comment=comment))
        if chosen.after:
            chosen.after(obj, actor, session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return chosen
