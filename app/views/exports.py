"""Background exports: a progress page and the download, for the user who asked only."""
import os

from flask import abort, current_app, g, send_file
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, safe
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.excel import XLSX_MIMETYPE
from app.export import ExportJob, tidy_exports
from app.guards import MapsApiErrors
from app.security import ROLES

EVERYONE_STATUS = {role: ("can_status",) for role in ROLES}
EVERYONE_GET = {role: ("can_get",) for role in ROLES}


def own_job(session, token) -> ExportJob | None:
    """The user's own job; another user's token is as unknown as a made-up one."""
    tidy_exports(session, current_app.config["EXPORT_DIR"])
    job = session.scalar(select(ExportJob).where(ExportJob.token == token[:36]))
    return job if job is not None and job.user_id == g.user.id else None


def own_job_or_404(session, token) -> ExportJob:
    job = own_job(session, token)
    if job is None:
        abort(404)
    return job


def file_kept(job) -> bool:
    return os.path.exists(job.path(current_app.config["EXPORT_DIR"]))


def download(job):
    path = job.path(current_app.config["EXPORT_DIR"])
    if job.status != "done" or not os.path.exists(path):
        abort(404)
    return send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=job.filename)


class ExportJobView(BaseView):
    route_base = "/exports"
    class_permission_name = "ExportJob"
    default_view = "status"
    role_access = EVERYONE_STATUS

    @expose("/<token>")
    @has_access
    def status(self, token):
        job = own_job_or_404(self.appbuilder.session, token)
        return self.render_template("export_job.html", job=job, states=ExportJob.STATES,
                                    file_kept=file_kept(job))

    @expose("/<token>/download")
    @has_access
    @permission_name("status")
    def file(self, token):
        return download(own_job_or_404(self.appbuilder.session, token))


class ExportJobApi(MapsApiErrors, BaseApi):
    resource_name = "export_job"
    class_permission_name = "ExportJobApi"
    allow_browser_login = True
    role_access = EVERYONE_GET

    @expose("/<token>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def status(self, token):
        job = own_job(self.appbuilder.session, token)
        if job is None:  # abort() inside @safe would answer 500
            return self.response(404, message=_("未找到"))
        return self.response(200, token=job.token, status=job.status, total=job.total,
                             done_rows=job.done_rows, error=job.error, filename=job.filename,
                             file_kept=file_kept(job))

    @expose("/<token>/download", methods=["GET"])
    @protect()
    @permission_name("get")
    def file(self, token):
        return download(own_job_or_404(self.appbuilder.session, token))
