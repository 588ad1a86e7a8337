"""The five roles of DESIGN.md §1 and the grants `flask init-roles` writes.

Grants are declared where they belong: a view's `role_access` (CRUD bundles per role),
a workflow step's `roles`, and the menu (a role sees a menu entry when it may list
the view behind it). This module only collects them.
"""
from flask_appbuilder.security.sqla.models import PermissionView

from app.security import PERSONAL, ROLES


def personal_views(appbuilder) -> set[str]:
    """Every user's own pages: 个人信息 (the user view's userinfo), own password, own info."""
    sm = appbuilder.sm
    views = (sm.userdbmodelview, sm.resetmypasswordview, sm.userinfoeditview)
    return {v.class_permission_name or v.__name__ for v in views} | {"LocaleView"}


def may_run(role: str, step) -> bool:
    """DESIGN.md §3: a Supervisor may also run a Clerk's step; Executive and Admin every step."""
    return (role in step.roles or role in ("Executive", "Admin")
            or (role == "Supervisor" and "Clerk" in step.roles))


def wanted_grants(appbuilder) -> dict[str, set[tuple[str, str]]]:
    """role → {(permission, view)} from the registered views' declarations."""
    grants: dict[str, set[tuple[str, str]]] = {role: set() for role in ROLES}
    personal = personal_views(appbuilder)
    for view in appbuilder.baseviews:
        name = view.class_permission_name
        offered = set(view.base_permissions or ())
        for role, perms in (getattr(view, "role_access", None) or {}).items():
            grants[role].update((p, name) for p in perms if p in offered)
        flow = getattr(getattr(getattr(view, "datamodel", None), "obj", None), "workflow", None)
        if flow is not None and getattr(view, "runs_steps", False):
            for step in flow.steps:
                perm = f"can_{step.name}"
                if perm in offered:
                    for role in ROLES:
                        if may_run(role, step):
                            grants[role].add((perm, name))
        if name in personal:
            for role in ROLES:
                grants[role].update((p, name) for p in PERSONAL if p in offered)
    for role in ROLES:
        listed = {v for p, v in grants[role] if p == "can_list"}
        for category in appbuilder.menu.get_list():
            visible = [c for c in category.childs
                       if c.baseview is not None and c.baseview.class_permission_name in listed]
            for child in visible:
                grants[role].add(("menu_access", child.name))
            if visible or category.baseview is not None and \
                    category.baseview.class_permission_name in listed:
                grants[role].add(("menu_access", category.name))
    return grants


def init_roles(appbuilder, reset: bool = False) -> dict[str, int]:
    """Create permissions and the five roles; add missing grants (or set exactly with reset).

    Admin gets every permission. Returns role → number of grants added.
    """
    sm = appbuilder.sm
    roles = {name: sm.find_role(name) or sm.add_role(name) for name in ROLES}
    appbuilder.add_permissions(update_perms=True)  # FAB adds new ones to Admin, so Admin first
    grants = wanted_grants(appbuilder)
    every_pvm = sm.session.query(PermissionView).all()
    added = {}
    for role_name in ROLES:
        role = roles[role_name]
        if role_name == "Admin":
            wanted = set(every_pvm)
        else:
            wanted = {pvm for pvm in every_pvm
                      if (pvm.permission.name, pvm.view_menu.name) in grants[role_name]}
        current = set(role.permissions)
        added[role_name] = len(wanted - current)
        role.permissions = list(wanted if reset else current | wanted)
    sm.session.commit()
    return added
