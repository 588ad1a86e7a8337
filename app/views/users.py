"""离职交接: an admin hands a leaving user's customers and open rows to a successor."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.handover import hand_over, rows_to_move
from app.models.org import ConsoleUser


def handover_counts(session, leaver) -> list[tuple[str, int]]:
    return [(str(model.label), len(ids)) for model, ids in rows_to_move(session, leaver).items()]


class HandoverView(BaseView):
    route_base = "/handover"
    default_view = "form"
    class_permission_name = "Handover"

    @expose("/<int:user_id>", methods=["GET", "POST"])
    @has_access
    def form(self, user_id):
        session = self.appbuilder.session
        leaver = session.get(ConsoleUser, user_id)
        if leaver is None:
            abort(404)
        candidates = session.scalars(
            select(ConsoleUser).where(ConsoleUser.active.is_(True), ConsoleUser.id != user_id)
            .order_by(ConsoleUser.username)).all()
        if request.method == "POST":
            successor = session.get(ConsoleUser, request.form.get("successor", type=int) or 0)
            counts = handover_counts(session, leaver)
            if successor is None or successor.id == leaver.id or not successor.active:
                flash(_("请选择一位在职的接手人"), "danger")
            elif request.form.get("confirm") != "1":
                # first the confirmation, naming what will move, then the handover itself
                return self.render_template("handover.html", leaver=leaver,
                                            candidates=candidates, counts=counts,
                                            successor=successor,
                                            total=sum(n for _label, n in counts))
            else:
                moved = hand_over(session, leaver, successor)
                flash(_("%(leaver)s 已停用，%(n)d 条记录已交给 %(successor)s",
                        leaver=leaver, n=sum(moved.values()), successor=successor), "success")
                return redirect(url_for("ConsoleUserDBModelView.show", pk=leaver.id))
        return self.render_template("handover.html", leaver=leaver, candidates=candidates,
                                    counts=handover_counts(session, leaver))
