"""The demo company loaded by `make run` (idempotent: natural keys are checked first)."""
from sqlalchemy import select

from app.models.org import ConsoleUser, Department

DEMO_PASSWORD = "Demo@2026"
DEPARTMENTS = [("销售中心", None), ("销售一部", "销售中心"), ("销售二部", "销售中心"),
               ("客户服务部", None)]
# username, 姓名, role, department (DESIGN.md §1)
USERS = [
    ("admin", "系统管理员", "Admin", None),
    ("clerk1", "王明", "Clerk", "销售一部"),
    ("clerk2", "李娜", "Clerk", "销售一部"),
    ("supervisor1", "张伟", "Supervisor", "销售一部"),
    ("clerk3", "刘洋", "Clerk", "销售二部"),
    ("supervisor2", "陈静", "Supervisor", "销售二部"),
    ("executive", "赵总", "Executive", "销售中心"),
    ("finance", "孙丽", "Finance", "客户服务部"),
]


COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "司徒",
                     "夏侯", "尉迟", "长孙", "宇文", "公孙", "轩辕", "端木", "独孤", "南宫")


def split_name(name: str) -> tuple[str, str]:
    """姓 and 名 of a Chinese name: 王明 → (王, 明), 欧阳娜娜 → (欧阳, 娜娜). A name of four
    or more characters without a compound surname (a title such as 系统管理员) has no 姓."""
    name = (name or "").strip()
    if name.startswith(COMPOUND_SURNAMES) and len(name) > 2:
        return name[:2], name[2:]
    if len(name) <= 1 or len(name) >= 4 or name.isascii():
        return "", name
    return name[0], name[1:]


def ensure_department(session, name, parent_name, owner):
    dept = session.scalar(select(Department).where(Department.name == name))
    if dept is None:
        parent = session.scalar(select(Department).where(Department.name == parent_name)) \
            if parent_name else None
        dept = Department(name=name, parent=parent, owner_id=owner.id)
        session.add(dept)
        session.flush()
    return dept


def ensure_user(appbuilder, username, name, role_name, department_name, password, email=None):
    sm, session = appbuilder.sm, appbuilder.session
    user = sm.find_user(username=username)
    if user is not None:
        last, first = split_name(name)
        if user.last_name + user.first_name == name and (user.last_name, user.first_name) != \
                (last, first):  # split by an earlier version (系 / 统管理员)
            user.last_name, user.first_name = last, first
            session.commit()
        return user, False
    last, first = split_name(name)
    user = sm.add_user(username, first, last, email or f"{username}@example.com",
                       sm.find_role(role_name), password=password)
    if user is None or user is False:
        raise RuntimeError(f"could not create user {username}")
    if department_name:
        user.department_id = session.scalar(
            select(Department.id).where(Department.name == department_name))
        session.commit()
    return user, True


def load_people(appbuilder) -> list[str]:
    """Roles, departments and the demo accounts of DESIGN.md §1."""
    from app.roles import init_roles
    init_roles(appbuilder)
    session = appbuilder.session
    report = []
    admin, created = ensure_user(appbuilder, "admin", "系统管理员", "Admin", None, DEMO_PASSWORD)
    for name, parent in DEPARTMENTS:
        ensure_department(session, name, parent, admin)
    if admin.department_id is None:
        admin.department_id = session.scalar(select(Department.id).where(
            Department.name == "销售中心"))
    session.commit()
    made = [u for u, *_ in USERS
            if ensure_user(appbuilder, u, *USERS_BY_NAME[u], DEMO_PASSWORD)[1]]
    report.append(f"users: {len(made)} new of {len(USERS)}")
    return report


def load_demo(appbuilder) -> list[str]:
    report = load_people(appbuilder)
    session = appbuilder.session
    from app import demo_registers
    report.extend(demo_registers.load(session, {u.username: u for u in
                                                session.scalars(select(ConsoleUser))}))
    report.append(accounts_hint())
    return report


def accounts_hint() -> str:
    """The line `make run` ends its set-up with: who to sign in as."""
    return ("demo accounts: " + ", ".join(f"{u} ({role})" for u, _n, role, _d in USERS)
            + f"; password {DEMO_PASSWORD}")


USERS_BY_NAME = {u: (name, role, dept) for u, name, role, dept in USERS}
