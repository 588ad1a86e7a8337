"""Background jobs: a progress page and the download, for the user who asked only.

Both read the job's row and FILES_DIR, so whichever server answers serves them."""
import os

from flask import abort, g, send_file
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, safe
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.excel import XLSX_MIMETYPE
from app.guards import MapsApiErrors
from app.jobs import ExportJob, files_dir
from app.security import ROLES

EVERYONE_STATUS = {role: ("can_status",) for role in ROLES}
EVERYONE_GET = {role: ("can_get",) for role in ROLES}


def own_job(session, token) -> ExportJob | None:
    """The user's own job; another user's token is as unknown as a made-up one."""
    job = session.scalar(select(ExportJob).where(ExportJob.token == token[:36]))
    return job if job is not None and job.user_id == g.user.id else None


def own_job_or_404(session, token) -> ExportJob:
    job = own_job(session, token)
    if job is None:
        abort(404)
    return job


def file_kept(job) -> bool:
    return job.kind == "export" and os.path.exists(job.path(files_dir()))


def download(job):
    if job.kind != "export" or job.status != "done" or not file_kept(job):
        abort(404)
    return send_file(job.path(files_dir()), mimetype=XLSX_MIMETYPE, as_attachment=True,
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
                                    kinds=ExportJob.KINDS, file_kept=file_kept(job))

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
        return self.response(200, token=job.token, kind=job.kind, status=job.status,
                             total=job.total, done_rows=job.done_rows, error=job.error,
                             problems=job.problems, filename=job.filename,
                             file_kept=file_kept(job))

    @expose("/<token>/download", methods=["GET"])
    @protect()
    @permission_name("get")
    def file(self, token):
        return download(own_job_or_404(self.appbuilder.session, token))
