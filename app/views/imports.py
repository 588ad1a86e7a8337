"""导入: the template download and the all-or-nothing upload, for registers that declare
`import_spec` (customers, contacts, transactions)."""
import io

from flask import flash, g, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _

from app.excel import XLSX_MIMETYPE
from app.importer import import_file, template


class ImportMixin:
    """Mix into a RegisterView and set `import_spec = ImportSpec(...)`."""

    import_spec = None

    @expose("/import_xlsx/", methods=["GET", "POST"])
    @has_access
    def import_xlsx(self):
        problems, imported = [], None
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                problems = None
                flash(_("请选择要上传的 Excel 文件"), "danger")
            else:
                imported, problems = import_file(self.datamodel.session, self.import_spec,
                                                 io.BytesIO(upload.read()), g.user)
                if not problems:
                    flash(_("已导入 %(n)d 行", n=imported), "success")
                    return redirect(url_for(f"{self.endpoint}.list"))
        return self.render_template("register/import.html", problems=problems or [],
                                    title=_("导入%(register)s", register=self.import_spec.model.label),
                                    register=self.import_spec.model.label)

    @expose("/import_template/")
    @has_access
    @permission_name("import_xlsx")
    def import_template(self):
        name = _("%(register)s导入模板", register=self.import_spec.model.label) + ".xlsx"
        return send_file(io.BytesIO(template(self.import_spec)), mimetype=XLSX_MIMETYPE,
                         as_attachment=True, download_name=name)
