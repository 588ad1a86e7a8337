"""导入: the template download and the all-or-nothing upload, for registers that declare
`import_spec` (customers, contacts, transactions). Files over IMPORT_BACKGROUND_ROWS rows
are imported on the task queue, with the background jobs' progress page."""
import io
import os

from flask import current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _

from app.excel import XLSX_MIMETYPE
from app.importer import count_data_rows, import_file, run_import, template
from app.jobs import ExportJob, files_dir, request_params


def import_upload(view, upload, done_url, pk=None):
    """Import an uploaded file now, or hand it to the queue when it is large.

    Returns (response or None, problems)."""
    if upload is None or not upload.filename:
        flash(_("请选择要上传的 Excel 文件"), "danger")
        return None, []
    data = io.BytesIO(upload.read())
    spec, fixed = view.import_setup(pk)
    rows = count_data_rows(data)
    if rows > current_app.config["IMPORT_BACKGROUND_ROWS"]:
        job = ExportJob(user_id=g.user.id, kind="import", title=str(spec.model.label),
                        filename=upload.filename[:300], total=rows,
                        params=request_params(request, view=type(view).__name__, pk=pk))
        session = view.datamodel.session
        session.add(job)
        session.flush()
        path = job.path(files_dir())
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data.getvalue())
        session.commit()
        run_import.delay(job.id)
        return redirect(url_for("ExportJobView.status", token=job.token)), []
    imported, problems = import_file(view.datamodel.session, spec, data, g.user, fixed)
    if problems:
        return None, problems
    flash(_("已导入 %(n)d 行", n=imported), "success")
    return redirect(done_url), []


class ImportMixin:
    """Mix into a RegisterView and set `import_spec = ImportSpec(...)`."""

    import_spec = None

    def import_setup(self, _pk=None):
        """(spec, values every row gets) of this view's import."""
        return self.import_spec, None

    @expose("/import_xlsx/", methods=["GET", "POST"])
    @has_access
    def import_xlsx(self):
        problems = []
        if request.method == "POST":
            response, problems = import_upload(self, request.files.get("file"),
                                               url_for(f"{self.endpoint}.list"))
            if response is not None:
                return response
        return self.render_template("register/import.html", problems=problems,
                                    title=_("导入%(register)s", register=self.import_spec.model.label),
                                    register=self.import_spec.model.label)

    @expose("/import_template/")
    @has_access
    @permission_name("import_xlsx")
    def import_template(self):
        name = _("%(register)s导入模板", register=self.import_spec.model.label) + ".xlsx"
        return send_file(io.BytesIO(template(self.import_spec)), mimetype=XLSX_MIMETYPE,
                         as_attachment=True, download_name=name)
