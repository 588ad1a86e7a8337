"""首页: who I am and my worklist — rows waiting for a step I may run."""
from flask import g, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from app.scope import scope_clause, user_scope
from app.security import ROLE_LABELS

FORWARD_EXCLUDED = ("send_back", "reject")


def worklist(appbuilder) -> list[dict]:
    """Per register with a workflow: rows in my scope in a state I can move on (SQL COUNT)."""
    items, sm, session = [], appbuilder.sm, appbuilder.session
    for view in appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if not getattr(view, "runs_steps", False) or not sm.has_access("can_list",
                                                                        view.class_permission_name):
            continue
        flow = model.workflow
        for step in flow.steps:
            if step.name in FORWARD_EXCLUDED or not sm.has_access(f"can_{step.name}",
                                                                  view.class_permission_name):
                continue
            sources = [s for s in step.sources if s in flow.states]
            n = session.scalar(select(func.count()).select_from(model).where(
                model.status.in_(sources), scope_clause(model, g.user)))
            if n:
                items.append({"register": model.label, "step": step.label, "count": n,
                              "url": url_for(f"{view.endpoint}.list",
                                             **{"_flt_0_status": sources[0]})})
    return items


class HomeView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        context = {}
        if user is not None:
            context = {
                "roles": [str(ROLE_LABELS.get(r.name, r.name)) for r in user.roles],
                "scope": user_scope(user),
                "work": worklist(self.appbuilder),
            }
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    user=user, **context)
