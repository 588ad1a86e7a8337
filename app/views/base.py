"""RegisterView and RegisterApi: what every register's web view and REST API share.

A register's view is declarations only (columns, labels, filters). The bases give it:
row scope on every exit (ScopedInterface + 404 on actions), owner/department from the
signed-in user, one FAB action per workflow step (`can_<step>`), the owner-only edit
rule, stale-form detection, Chinese validation messages, and the §8 API extras.
"""
import copy
import tempfile
from urllib.parse import urlsplit, urlunsplit

import prison
from flask import abort, current_app, flash, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.api import get_list_schema, rison, safe
from flask_appbuilder.const import API_URI_RIS_KEY
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.models.sqla.interface import DatabaseException
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_appbuilder.urltools import (
    get_filter_args,
    get_order_args,
    get_page_args,
    get_page_size_args,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from marshmallow import ValidationError, fields
from marshmallow.validate import OneOf
from sqlalchemy import Boolean, Date, DateTime, Numeric, or_, select, table
from sqlalchemy import column as sql_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import DataRequired, InputRequired, Optional

from app import audit
from app.errors import RowRejected
from app.excel import XLSX_MIMETYPE
from app.export import (
    count_rows,
    export_columns,
    export_filename,
    export_statement,
    run_export,
    too_many,
    write_export,
)
from app.guards import InputRefused, MapsApiErrors, stale_message
from app.jobs import ExportJob, request_params
from app.models.base import OWNED
from app.models.saved_views import SHARES
from app.quick_search import PARAM as QUICK_PARAM
from app.quick_search import placeholder, with_quick_search
from app.rows import (
    check_before_save,
    check_may_change,
    check_not_referenced,
    edit_refusal,
    prepare_new_row,
    related_out_of_scope,
)
from app.saved_views import clean_filters, list_args, shares_for, visible_views
from app.scope import COUNT_CAP, beyond_cap, scope_clause
from app.search import _like_pattern, fts_name, trigram_searchable
from app.security import FULL, READ
from app.timeutil import today_cn
from app.views.fields import MoneyDecimal, MoneyField, SearchSelectField, search_columns
from app.widgets import FilterWidget, datetime_field
from app.workflow import TransitionError, available, fire, history
from app.worklist import WORK_ARG, with_work

DEFAULT_ACCESS = {
    OWNED: {"Clerk": FULL, "Supervisor": FULL, "Executive": READ, "Finance": READ},
    None: {"Clerk": READ, "Supervisor": READ, "Executive": READ, "Finance": READ},
}
# The record columns every register shows (web show pages, API answers).
AUDIT = ["owner", "department", "created_on", "changed_on"]
AUDIT_API = ["owner.id", "owner.username", "department.id", "department.name", "created_on",
             "changed_on", "version"]
API_PERMISSIONS = {"can_list": "can_get", "can_show": "can_get", "can_add": "can_post",
                   "can_edit": "can_put"}


def model_of(view):
    return view.datamodel.obj


def export_names(columns, fieldsets=None) -> list[str]:
    """Export columns: the list's, then the show view's (dotted API names → relation)."""
    names = list(columns or [])
    for _title, spec in fieldsets or []:
        names.extend(spec.get("fields", []))
    return list(dict.fromkeys(n.split(".")[0] for n in names))


def export_response(view, api: bool):
    """Stream the filtered, sorted, scoped list as .xlsx, or enqueue a background job
    that asks the view's export_plan() again as this user (app.export.run_export)."""
    try:
        filters, order_column, order_direction, names = view.export_plan()
    except InputRefused as e:
        return view.response_400(message=e.message)
    model, session = model_of(view), view.datamodel.session
    total = count_rows(view.datamodel, filters)
    if too_many(total):
        message = _("共 %(n)d 行，超过 Excel 单表上限 1,048,575 行，请缩小筛选范围后再导出", n=total)
        if api:
            return view.response_422(message=message)
        flash(message, "danger")
        return redirect(url_for(f"{view.endpoint}.list"))
    title = str(model.label or model.__tablename__)
    filename = export_filename(title, today_cn())
    audit.record(session, "export", model.__tablename__, detail=export_detail(total))
    if in_background(total):
        return enqueue_export(view, session, api, title, filename, total)
    columns, joins = export_columns(model, names, view.label_columns)
    statement = export_statement(view.datamodel, filters, order_column, order_direction,
                                 columns, joins)
    fh = tempfile.TemporaryFile()
    write_export(session, statement, columns, title, fh, total=total)
    session.commit()  # the audit entry
    fh.seek(0)
    return send_file(fh, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


def in_background(total: int) -> bool:
    """Whether an export of `total` rows runs on the task queue (EXPORT_BACKGROUND_ROWS)."""
    return total > current_app.config["EXPORT_BACKGROUND_ROWS"]


def enqueue_export(view, session, api: bool, title, filename, total, writer=None):
    """Write the ExportJob, enqueue its task, answer 202 (API) or the progress page (web).
    The task asks this request again as this user: the view's export_plan(), or its own
    `writer` (a method named …_job_file) for an export that is not a list's."""
    extra = {"writer": writer} if writer else {}
    job = ExportJob(user_id=g.user.id, kind="export", title=str(title), filename=filename,
                    total=total, params=request_params(request, view=type(view).__name__,
                                                       **extra))
    session.add(job)
    session.commit()
    run_export.delay(job.id)
    if api:
        return view.response(202, token=job.token, total=total,
                             status_url=url_for("ExportJobApi.status", token=job.token))
    return redirect(url_for("ExportJobView.status", token=job.token))


def web_export_plan(view, names):
    """(filters, order column, direction, columns) of a web list's export request; a view's
    export_plan(), asked again by the export task as the same user."""
    get_filter_args(view._filters, disallow_if_not_in_search=False)
    filters = with_quick_search(view._filters, view.datamodel, request.args.get(QUICK_PARAM))
    filters = with_work(view.datamodel, filters.get_joined_filters(view._base_filters),
                        request.args.get(WORK_ARG))
    order = get_order_args().get(view.__class__.__name__) or view.base_order or ("", "")
    return filters, order[0], order[1], names


def api_export_plan(view, names):
    """The same for an API's `q`; InputRefused for what the list refuses too."""
    args = prison.loads(request.args.get(API_URI_RIS_KEY, "()"))
    try:
        filters = view._handle_filters_args(args)
    except FABException as e:  # the same refusal as the list's
        raise InputRefused(str(e)) from None
    order_column = args.get("order_column") or (view.base_order or ("", ""))[0]
    order_direction = args.get("order_direction") or (view.base_order or ("", ""))[1]
    if order_column and order_column not in view.order_columns:
        raise InputRefused(_("不能按该列排序：%(c)s", c=order_column))
    return filters, order_column, order_direction, names


def export_detail(total) -> str:
    """What an export entry of the audit log says: the filter asked for and the row count."""
    asked = "&".join(f"{k}={v}" for k, v in request.args.items(multi=True)
                     if k not in ("_l_",))
    return _("%(n)d 行；筛选：%(filter)s", n=total, filter=asked or _("无"))


def yes_no(value):
    return "" if value is None else (_("是") if value else _("否"))


def enum_form_fields(model, labels: dict, columns) -> dict:
    """Select fields with Chinese labels for a model's enum columns (stored in English)."""
    fields = {}
    for column, choices in model.enums.items():
        if column not in (columns or ()) or (column == "status" and model.workflow is not None):
            continue
        col = model.__table__.c[column]
        default = col.default.arg if col.default is not None and col.default.is_scalar else None
        # A required choice without a declared default starts empty: the user picks it.
        fields[column] = SelectField(
            labels.get(column, column), choices=[("", "—"), *choices.items()],
            default=default, validators=[Optional() if col.nullable else DataRequired()])
    return fields


def checkbox_fields(model, labels: dict, descriptions: dict, columns) -> dict:
    """Unticked means False: FAB makes a NOT NULL Boolean column a *required* checkbox."""
    return {column.key: BooleanField(labels.get(column.key, column.key), validators=[Optional()],
                                     description=descriptions.get(column.key, ""))
            for column in model.__table__.columns
            if isinstance(column.type, Boolean) and column.key in (columns or ())}


def datetime_form_fields(model, labels: dict, descriptions: dict, columns) -> dict:
    """Date-and-time columns get a picker that keeps the time (app/widgets.py), in the
    add and edit forms (the list's filters pick days: app.widgets.FilterWidget)."""
    return {column.key: datetime_field(labels.get(column.key, column.key),
                                       descriptions.get(column.key, ""),
                                       required=not (column.nullable
                                                     or column.default is not None))
            for column in model.__table__.columns
            if isinstance(column.type, DateTime) and column.key in (columns or ())}


def money_form_fields(model, labels: dict, descriptions: dict, columns) -> dict:
    """Numbers as people write them (`186,500.00`); required as FAB makes them."""
    return {column.key: MoneyField(labels.get(column.key, column.key),
                                   description=descriptions.get(column.key, ""),
                                   default=column.default.arg if column.default is not None
                                   and column.default.is_scalar else None,
                                   validators=[Optional() if column.nullable
                                               else InputRequired()])
            for column in model.__table__.columns
            if isinstance(column.type, Numeric) and column.key in (columns or ())}


def search_select_fields(model, labels: dict, columns, view_name: str,
                         filtering=False) -> dict:
    """Related registers (a customer, a complaint …) searched as you type, starting empty;
    `filtering`: for the list's filter form, which would otherwise list every row."""
    fields = {}
    mapper = sa_inspect(model)
    for name in columns or ():
        rel = mapper.relationships.get(name)
        if rel is None or rel.uselist:
            continue
        target = rel.mapper.class_
        if getattr(target, "row_scope", None) != OWNED or not search_columns(target):
            continue
        nullable = all(c.nullable for c in rel.local_columns)
        fields[name] = SearchSelectField(
            labels.get(name, name),
            validators=[Optional() if nullable or filtering else DataRequired()],
            model=target, view_name=view_name, filtering=filtering)
    return fields


def display_formatters(model) -> dict:
    formatters = {}
    for column, choices in model.enums.items():
        if column == "status" and model.workflow is not None:
            choices = model.workflow.states
        formatters[column] = lambda v, c=choices: nowrap(c.get(v, v)) if v is not None else ""
    for column in model.__table__.columns:
        if isinstance(column.type, Boolean):
            formatters[column.key] = yes_no
        elif isinstance(column.type, DateTime):
            formatters[column.key] = minutes
        elif isinstance(column.type, Date) or column.key == "code":
            formatters[column.key] = nowrap
        elif isinstance(column.type, Numeric) and column.key not in formatters:
            formatters[column.key] = percent if column.type.scale == 4 else amount
    for name in [*model.__table__.columns.keys(), *model.__mapper__.relationships.keys()]:
        formatters.setdefault(name, blank_if_none)
    return formatters


def current_filters() -> str:
    """The list URL's filters and search term, as a saved view keeps them."""
    try:
        return clean_filters(request.query_string.decode(errors="replace"))
    except RowRejected:
        return ""


def nowrap(value):
    """Codes, dates and states stay on one line in a list cell."""
    return "" if value is None else Markup('<span class="nowrap">%s</span>') % value


def minutes(value):
    """A time to the minute (the seconds of a form's default are noise)."""
    return "" if value is None else nowrap(f"{value:%Y-%m-%d %H:%M}")


def amount(value):
    """Money and scores: thousands separators and 2 decimals; blank for None."""
    return "" if value is None else nowrap(f"{value:,.2f}")


def percent(value):
    """Shares (fractions 0–1) as percentages: 0.7500 → 75%."""
    return "" if value is None else f"{float(value) * 100:.4g}%"


def blank_if_none(value):
    """FAB prints a missing value as "None"; a form shows nothing there."""
    return "" if value is None else value


class _RegisterDeclarations:
    """Defaults both bases derive from the model in __init_subclass__."""

    role_access = None

    @classmethod
    def _declare_defaults(cls, api: bool):
        model = cls.datamodel.obj
        cls.label_columns = {**model.field_labels, **(cls.__dict__.get("label_columns") or {})}
        access = cls.__dict__.get("role_access") or \
            DEFAULT_ACCESS[getattr(model, "row_scope", None)]
        if api:  # the same bundles, in the API's permission names
            access = {role: tuple(dict.fromkeys(API_PERMISSIONS.get(p, p) for p in perms))
                      for role, perms in access.items()}
        cls.role_access = access
        # Only sorts an index serves (app.models.base.list_indexes); newest first by the
        # primary key too. A view may offer a subset of the model's sortable columns.
        order = cls.__dict__.get("order_columns") or model.sortable
        cls.order_columns = list(dict.fromkeys([*order, "id"]))
        if cls.__dict__.get("class_permission_name") is None:
            cls.class_permission_name = model.__name__ + ("Api" if api else "")

    # Hooks FAB calls on both the web view and the API.
    def pre_add(self, item):
        prepare_new_row(item, g.user)
        self._validate(item)

    def _validate(self, item):
        """Every rule before a write; registers may extend it (and call super()).
        No autoflush: reading a related row must not write the unchecked values first."""
        with self.datamodel.session.no_autoflush:
            check_before_save(self.datamodel.session, item)

    def pre_delete(self, item):
        check_may_change(item, g.user)
        check_not_referenced(self.datamodel.session, item)


class RegisterView(_RegisterDeclarations, ModelView):
    """Base of every register's web view."""

    show_template = "register/show.html"
    list_template = "register/list.html"
    search_widget = FilterWidget
    runs_steps = False
    charts: list = []  # app.charts.Chart declarations: the 图表 page, dashboard tiles
    presets: list = []  # app.saved_views.Preset: the 我的视图 the register ships
    inline_steps: tuple = ()  # steps the show page runs in its own panel, with their fields

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "datamodel", None) is None:
            return
        cls._declare_defaults(api=False)
        model = cls.datamodel.obj
        search = cls.__dict__.get("search_columns")
        if search and model.row_scope == OWNED and "department" not in search:
            # the dashboard's department filter follows every 明细 link to the list
            cls.search_columns = [*search, "department"]
        cls.formatters_columns = {**display_formatters(model),
                                  **(cls.__dict__.get("formatters_columns") or {})}
        descriptions = cls.__dict__.get("description_columns") or {}
        cls.add_form_extra_fields = {
            **datetime_form_fields(model, cls.label_columns, descriptions,
                                   cls.__dict__.get("add_columns")),
            **search_select_fields(model, cls.label_columns, cls.__dict__.get("add_columns"),
                                   cls.__name__),
            **checkbox_fields(model, cls.label_columns, descriptions,
                              cls.__dict__.get("add_columns")),
            **money_form_fields(model, cls.label_columns, descriptions,
                                cls.__dict__.get("add_columns")),
            **enum_form_fields(model, cls.label_columns, cls.__dict__.get("add_columns")),
            **(cls.__dict__.get("add_form_extra_fields") or {})}
        cls.search_form_extra_fields = {
            **search_select_fields(model, cls.label_columns, cls.__dict__.get("search_columns"),
                                   cls.__name__, filtering=True),
            **(cls.__dict__.get("search_form_extra_fields") or {})}
        cls.edit_form_extra_fields = {
            "expected_version": HiddenField(),
            **datetime_form_fields(model, cls.label_columns, descriptions,
                                   cls.__dict__.get("edit_columns")),
            **search_select_fields(model, cls.label_columns, cls.__dict__.get("edit_columns"),
                                   cls.__name__),
            **checkbox_fields(model, cls.label_columns, descriptions,
                              cls.__dict__.get("edit_columns")),
            **money_form_fields(model, cls.label_columns, descriptions,
                                cls.__dict__.get("edit_columns")),
            **enum_form_fields(model, cls.label_columns, cls.__dict__.get("edit_columns")),
            **(cls.__dict__.get("edit_form_extra_fields") or {})}
        flow = model.workflow
        if flow is not None:
            cls.runs_steps = True
            cls.method_permission_name = {f"step_{s.name}": s.name for s in flow.steps}
            for s in flow.steps:
                # single=False: the show page offers steps in its own panel (with a comment).
                handler = action(s.name, s.label, None, "fa-arrow-right",
                                 multiple=True, single=False)(_step_handler(s.name))
                setattr(cls, f"step_{s.name}", handler)

    def __init__(self, **kwargs):
        if self.edit_columns and "expected_version" not in self.edit_columns:
            self.edit_columns = [*self.edit_columns, "expected_version"]
        super().__init__(**kwargs)

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint,
                                             static_folder=static_folder)

        @blueprint.before_request
        def _known_order():
            """An order column the list does not offer is refused (SQL would fail)."""
            name = self.__class__.__name__
            column = request.args.get(f"_oc_{name}")
            if column and column not in (self.order_columns or ()):
                raise InputRefused(_("不能按该列排序：%(c)s", c=column))
            if request.args.get(f"_od_{name}", "asc") not in ("asc", "desc"):
                raise InputRefused(_("排序或筛选参数不正确"))
        return blueprint

    # --- forms ------------------------------------------------------------
    def _get_edit_widget(self, form=None, exclude_cols=None, widgets=None):
        exclude_cols = [*(exclude_cols or []), "expected_version"]
        return super()._get_edit_widget(form=form, exclude_cols=exclude_cols, widgets=widgets)

    def _reject_on_form(self, form, e: RowRejected):
        """A rule refused the row: discard what populate_obj changed and show the message
        beside its field (or above the form), keeping what the user typed."""
        self.datamodel.session.rollback()
        field = form._fields.get(e.field) if e.field else None
        if field is not None:
            field.errors = [*field.errors, e.message]
        else:
            flash(e.message, "danger")

    def _add(self):
        """FAB's _add, except that a refused row stays on the form with its input."""
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                try:
                    form.populate_obj(item)
                    self.pre_add(item)
                except RowRejected as e:
                    self._reject_on_form(form, e)
                    return self._get_add_widget(form=form, exclude_cols=exclude_cols)
                try:
                    self.datamodel.add(item)
                except RowRejected as e:  # refused while writing (a lock taken in the flush)
                    self._reject_on_form(form, e)
                    return self._get_add_widget(form=form, exclude_cols=exclude_cols)
                except SQLAlchemyError:
                    flash(self.database_error_message, "danger")
                    return self._get_add_widget(form=form, exclude_cols=exclude_cols)
                self.post_add(item)
                flash(self.add_row_message, "success")
                g.saved_pk = item.id
                return None
        else:
            self.update_redirect()
            self.prefill_add(form)
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def prefill_add(self, form):
        """A register may fill a new row's form from the link that opened it."""

    # --- where a page goes next ---------------------------------------------
    def _may_show(self) -> bool:
        return "can_show" in (self.base_permissions or ()) and \
            self.appbuilder.sm.has_access("can_show", self.class_permission_name)

    def post_add_redirect(self):
        """After add: the saved record (its show page)."""
        pk = getattr(g, "saved_pk", None)
        if pk is not None and self._may_show():
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        return super().post_add_redirect()

    def post_edit_redirect(self):
        """After edit: the saved record (its show page)."""
        pk = (request.view_args or {}).get("pk")
        if pk is not None and self._may_show():
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        return super().post_edit_redirect()

    def breadcrumbs(self, pk) -> list[tuple[str, str | None]]:
        """菜单 › 列表 › 记录 (› 编辑): (label, link) from the menu entry of this view."""
        category, entry = None, None
        for group in self.appbuilder.menu.get_list():
            for child in group.childs or ():
                if child.baseview is self:
                    category, entry = group, child
        crumbs = [(str(category.label), None)] if category is not None and category.childs \
            else []
        crumbs.append((str(entry.label if entry is not None else self.list_title),
                       url_for(f"{self.endpoint}.list")))
        item = self.datamodel.get(pk, self._base_filters) if pk is not None else None
        if item is not None:
            crumbs.append((str(item), url_for(f"{self.endpoint}.show", pk=pk)))
            if request.endpoint == f"{self.endpoint}.edit":
                crumbs.append((_("编辑"), None))
        return crumbs

    def back_to_origin(self, *avoid) -> str:
        """The page the request came from (same site, not one of `avoid`), else the list."""
        origin = urlsplit(request.referrer or "")
        if origin.netloc in ("", request.host) and origin.path.startswith("/") and \
                origin.path not in avoid:
            return urlunsplit(("", "", origin.path, origin.query, ""))
        return url_for(f"{self.endpoint}.list")

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        """Delete, then back to where it was asked (the list with its filters and page);
        a refused delete stays there with the reason; a deleted row's page is gone."""
        pk = self._deserialize_pk_if_composite(pk)
        self._delete(pk)
        gone = self.datamodel.get(pk, self._base_filters) is None
        return redirect(self.back_to_origin(
            *([url_for(f"{self.endpoint}.show", pk=pk), url_for(f"{self.endpoint}.edit", pk=pk)]
              if gone else [])))

    def _edit(self, pk):
        """FAB's _edit, except that a refused change stays on the form with its input."""
        if request.method != "POST":
            return super()._edit(pk)
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        form = self.edit_form.refresh(request.form)
        self._fill_form_exclude_cols(exclude_cols, form)
        form._id = pk
        if form.validate():
            self.process_form(form, False)
            try:
                form.populate_obj(item)
                self.pre_update(item)
            except RowRejected as e:
                self._reject_on_form(form, e)
                return self._edit_widgets(item, form, exclude_cols)
            try:
                self.datamodel.edit(item)
            except RowRejected as e:  # refused while writing (a lock taken in the flush)
                self._reject_on_form(form, e)
                return self._edit_widgets(item, form, exclude_cols)
            except (SQLAlchemyError, DatabaseException):
                flash(self.database_error_message, "danger")
                return self._edit_widgets(item, form, exclude_cols)
            self.post_update(item)
            flash(self.edit_row_message, "success")
            return None
        return self._edit_widgets(item, form, exclude_cols)

    def _edit_widgets(self, item, form, exclude_cols):
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        return self._get_related_views_widgets(
            item, filters={}, orders=get_order_args(), pages=get_page_args(),
            page_sizes=get_page_size_args(), widgets=widgets)

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            form.expected_version.data = item.version

    def pre_update(self, item):
        check_may_change(item, g.user)
        expected = getattr(item, "expected_version", None)
        if expected not in (None, "") and str(expected).strip() != str(item.version):
            raise RowRejected(_("该记录已被他人修改，请刷新后重新编辑"))
        self._validate(item)

    @expose("/search_related/<column>")
    @has_access
    @permission_name("list")
    def search_related(self, column):
        """Select2 ajax: up to 20 rows of a related register in the viewer's scope whose
        code or name contains what was typed."""
        field = next((fields[column] for fields in (
            self.add_form_extra_fields, self.edit_form_extra_fields,
            self.search_form_extra_fields) if column in (fields or {})), None)
        kwargs = getattr(field, "kwargs", {}) if field is not None else {}
        target = kwargs.get("model")
        if target is None:
            abort(404)
        term = (request.args.get("q") or "").strip()
        query = select(target).where(scope_clause(target))
        if term:
            columns = search_columns(target)
            query = query.where(or_(*(c.ilike(_like_pattern(term), escape="\\")
                                      for c in columns)))
            indexed = getattr(target, "search_index", ())
            if self.datamodel.session.get_bind().dialect.name == "sqlite" and \
                    trigram_searchable(term) and all(c.key in indexed for c in columns):
                # the FTS5 trigram index narrows the rows first (app.search)
                fts = table(fts_name(target.__tablename__), sql_column("rowid"),
                            *(sql_column(c.key) for c in columns))
                query = query.where(target.id.in_(select(fts.c.rowid).where(
                    or_(*(fts.c[c.key].like(f"%{term}%") for c in columns)))))
        order = search_columns(target)[-1] if "name" not in target.__table__.columns \
            else target.name
        rows = self.datamodel.session.scalars(query.order_by(order).limit(20)).all()
        return jsonify(results=[{"id": r.id, "text": str(r)} for r in rows])

    # --- the list's search box (app.quick_search) and `?work=<step>` (a 待办 entry:
    # the rows waiting for me to run that step) ---------------------------------
    def _get_list_widget(self, filters, **kwargs):
        filters = with_quick_search(filters, self.datamodel, request.args.get(QUICK_PARAM))
        filters = with_work(self.datamodel, filters, request.args.get(WORK_ARG))
        return super()._get_list_widget(filters, **kwargs)

    def quick_search_box(self) -> dict | None:
        model = model_of(self)
        if not model.quick_search:
            return None
        keep = [(k, v) for k, v in request.args.items(multi=True)
                if k != QUICK_PARAM and not k.startswith("page_")]
        return {"param": QUICK_PARAM, "value": request.args.get(QUICK_PARAM, ""),
                "placeholder": placeholder(model, self.label_columns), "keep": keep}

    # --- 我的视图 (app.saved_views) ----------------------------------------------
    def saved_views_menu(self) -> dict:
        user, name = g.user, self.__class__.__name__
        search = self._filters.get_search_filters()
        presets = []
        for preset in self.presets:
            if preset.offered_to(user):
                query = preset.query(search)
                url = url_for(preset.endpoint or f"{self.endpoint}.list")
                presets.append((str(preset.name), url + ("?" + query if query else "")))
        mine, shared = [], []
        for view in visible_views(self.datamodel.session, user, model_of(self).__tablename__):
            url = url_for(f"{self.endpoint}.list", **list_args(name, view.filters, view.sort))
            (mine if view.user_id == user.id else shared).append((view, url))
        order = get_order_args().get(name)
        return {"presets": presets, "mine": mine, "shared": shared, "view": name,
                "shares": [(code, str(SHARES[code])) for code in shares_for(user)],
                "labels": {code: str(label) for code, label in SHARES.items()},
                "filters": current_filters(),
                "sort": f"{order[0]} {order[1]}" if order else ""}

    # --- 导出 Excel -----------------------------------------------------------
    @expose("/export_xlsx/")
    @has_access
    def export_xlsx(self):
        """All rows of the current filters and sort (paging ignored), in the viewer's scope."""
        return export_response(self, api=False)

    def export_plan(self):
        return web_export_plan(self, export_names(
            self.list_columns, self.show_fieldsets or [("", {"fields": self.show_columns})]))

    # --- routes that FAB leaves unscoped or GET-mutable --------------------
    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        refusal = edit_refusal(item, g.user)
        if refusal:
            flash(refusal, "warning")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        return super().edit(pk)

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None or name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            flash(_("Access is Denied"), "danger")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        return self.actions[name].func(item)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(404)
        pks = request.form.getlist("rowid")
        items = [self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
                 for pk in pks]
        if any(item is None for item in items):
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            flash(_("Access is Denied"), "danger")
            return redirect(url_for(f"{self.endpoint}.list"))
        return self.actions[name].func(items)

    # --- workflow ---------------------------------------------------------
    def can_step(self, permission: str) -> bool:
        """fire() and available() ask with the permission name, can_<step>."""
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    def run_step(self, items, name):
        items = items if isinstance(items, list) else [items]
        session = self.datamodel.session
        for item in items:
            data = {k: v for k, v in request.form.items() if k not in ("csrf_token", "action")}
            try:
                done = fire(session, item, name, g.user, self.can_step,
                            comment=request.form.get("comment"), data=data)
                flash(_("%(row)s：已%(step)s", row=item, step=done.label), "success")
            except TransitionError as e:
                flash(_("%(row)s：%(message)s", row=item, message=e.message), "danger")
            except StaleDataError:  # another user moved the row meanwhile
                flash(_("%(row)s：%(message)s", row=item, message=stale_message()), "danger")
        if len(items) == 1:
            return redirect(url_for(f"{self.endpoint}.show", pk=items[0].id))
        return redirect(self.back_to_origin())  # the same filtered list

    def render_template(self, template, **kwargs):
        kwargs.setdefault("endpoint", self.endpoint)
        kwargs.setdefault("view_permission", self.class_permission_name)
        kwargs.setdefault("import_enabled", getattr(self, "import_spec", None) is not None)
        flow, work = model_of(self).workflow, request.args.get(WORK_ARG)
        if template == self.list_template and flow is not None and work in flow.by_name:
            kwargs.setdefault("work_step", flow.by_name[work].label)
            kwargs.setdefault("plain_list_url", url_for(f"{self.endpoint}.list"))
        if template == self.list_template:
            kwargs.setdefault("quick_search", self.quick_search_box())
            kwargs.setdefault("saved_views", self.saved_views_menu())
        if template == self.list_template and self.charts:
            kwargs.setdefault("chart_url", url_for(
                "ChartPageView.page", resource=model_of(self).__tablename__))
        if request.endpoint in (f"{self.endpoint}.show", f"{self.endpoint}.edit"):
            kwargs.setdefault("breadcrumbs", self.breadcrumbs(request.view_args.get("pk")))
        pk = kwargs.get("pk")
        kwargs.setdefault("inline_steps", self.inline_steps)
        if template == self.show_template and pk is not None:
            item = self.datamodel.get(pk, self._base_filters)
            may_edit = item is not None and "can_edit" in self.base_permissions and \
                self.appbuilder.sm.has_access("can_edit", self.class_permission_name) and \
                edit_refusal(item, g.user) is None
            kwargs["edit_url"] = url_for(f"{self.endpoint}.edit", pk=pk) if may_edit else None
            if item is not None and item.workflow is not None:
                kwargs["workflow"] = item.workflow
                kwargs["row_state"] = item.workflow.state_label(item.status)
                kwargs["steps"] = available(item, self.can_step, g.user)
                kwargs["history"] = history(self.datamodel.session, item)
                kwargs["may_edit"] = edit_refusal(item, g.user) is None
            if item is not None and audit.may_see_row_changes(g.user):
                entries = audit.row_entries(self.datamodel.session, item.__tablename__, item.id,
                                            since=getattr(item, "created_on", None))
                kwargs["row_changes"] = audit.row_history(self.datamodel.session, entries)
        return super().render_template(template, **kwargs)


def _step_handler(name):
    def handler(self, items):
        return self.run_step(items, name)
    handler.__name__ = f"step_{name}"
    return handler


MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": _l("此项为必填项"),
    "Not a valid integer.": _l("请输入整数"),
    "Not a valid number.": _l("请输入数字"),
    "Not a valid decimal.": _l("请输入数字"),
    "Special numeric values (nan or infinity) are not permitted.": _l("请输入数字"),
    "Not a valid date.": _l("日期格式应为 YYYY-MM-DD"),
    "Not a valid datetime.": _l("时间格式应为 YYYY-MM-DDTHH:MM:SS"),
    "Not a valid boolean.": _l("请输入 true 或 false"),
    "Not a valid string.": _l("请输入文本"),
    "Unknown field.": _l("未知字段"),
    "Field may not be null.": _l("此项不能为空"),
    "Related Object doesn't exist in DB": _l("所选的关联记录不存在"),
    "Request is not JSON": _l("请求内容应为 JSON 对象（{…}）"),  # FAB: a POST without a body
}


def translate_messages(messages):
    """marshmallow answers in English; clients of this console read Chinese."""
    if isinstance(messages, dict):
        return {k: translate_messages(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [translate_messages(m) for m in messages]
    if isinstance(messages, str):
        if messages in MARSHMALLOW_MESSAGES:
            return str(MARSHMALLOW_MESSAGES[messages])
        if messages.startswith("Must be one of:"):
            return _("取值无效，可选值：%(values)s", values=messages.split(":", 1)[1].strip(" ."))
        if messages.startswith("Filter column:") and messages.endswith("not allowed to filter"):
            column = messages[len("Filter column:"):-len("not allowed to filter")].strip()
            return _("不能按该列筛选：%(c)s", c=column)
        if messages.startswith("Invalid order by column:"):
            return _("不能按该列排序：%(c)s", c=messages.split(":", 1)[1].strip())
        if messages.startswith("Filter operation:") and "column:" in messages:
            return _("不能按该列筛选：%(c)s", c=messages.rsplit("column:", 1)[1].strip())
        if messages.startswith("Not a valid rison"):  # q that parses to no object
            return _("请求参数不正确")
        if messages.startswith("Longer than maximum length"):
            return _("长度超过上限 %(n)s", n=messages.rsplit(" ", 1)[-1].strip("."))
    return messages


def nested_labels(model, columns) -> dict:
    """Labels of dotted API columns: customer.name → 客户, owner.id → 经办人 ID."""
    labels = {}
    for name in columns:
        if "." in name:
            relation, attr = name.split(".", 1)
            base = model.field_labels.get(relation, relation)
            labels[name] = _l("%(label)s ID", label=base) if attr == "id" else base
    return labels


class ChoiceOf(OneOf):
    """OneOf with its message in the reader's language (evaluated per request)."""

    def _format_error(self, value) -> str:
        return _("取值无效，可选值：%(choices)s", choices=self.choices_text)


class RegisterApi(_RegisterDeclarations, MapsApiErrors, ModelRestApi):
    """Base of every register's REST API (/api/v1/<resource>/)."""

    allow_browser_login = True
    runs_steps = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "datamodel", None) is None:
            return
        cls._declare_defaults(api=True)
        model = cls.datamodel.obj
        cls.label_columns = {**nested_labels(model, [*(cls.list_columns or []),
                                                     *(cls.show_columns or [])]),
                             **cls.label_columns}
        for attr, text in (("list_title", _l("%(register)s列表", register=model.label)),
                           ("show_title", _l("查看%(register)s", register=model.label)),
                           ("add_title", _l("新增%(register)s", register=model.label)),
                           ("edit_title", _l("编辑%(register)s", register=model.label))):
            if attr not in cls.__dict__ and model.label is not None:
                setattr(cls, attr, text)
        validators = dict(cls.__dict__.get("validators_columns") or {})
        for column, choices in model.enums.items():
            validators.setdefault(column, ChoiceOf(list(choices)))
        cls.validators_columns = validators

    @property
    def view_permission_name(self) -> str:
        return model_of(self).__name__

    def response_422(self, message=None):
        return super().response_422(message=translate_messages(message))

    # FAB answers these in fixed English; clients of this console read Chinese.
    def response_400(self, message=None):
        return self.response(400, message=translate_messages(message) or _("请求参数不正确"))

    def response_401(self):
        return self.response(401, message=_("未登录或登录已过期"))

    def response_403(self):
        return self.response(403, message=_("没有权限"))

    def response_404(self):
        return self.response(404, message=_("未找到"))

    def _init_model_schemas(self):
        """Integers are integers: marshmallow would store 1.5 as 1; amounts may come as
        people write them (`186,500.00`)."""
        super()._init_model_schemas()
        for schema in (self.add_model_schema, self.edit_model_schema):
            for field in schema.fields.values():
                if isinstance(field, fields.Integer):
                    field.strict = True
                elif type(field) is fields.Decimal:
                    field.__class__ = MoneyDecimal

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        """gettext("") is the catalog header: a field without a description gets none."""
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        if not self.description_columns.get(field.name):
            info["description"] = ""
        return info

    def pre_update(self, item):
        check_may_change(item, g.user)
        self._validate(item)

    def _database_refused(self, error: DatabaseException):
        self.datamodel.session.rollback()
        cause = error.__cause__
        if isinstance(cause, StaleDataError):
            return self.response(409, message=stale_message())
        if isinstance(cause, IntegrityError):
            return self.response(409, message=_("与已有记录冲突（可能重复），未保存"))
        if isinstance(cause, DataError):
            return self.response(422, message=_("输入的值超出范围或格式不正确，未保存"))
        raise error

    def _rejected(self, e: RowRejected):
        self.datamodel.session.rollback()
        if e.status == 409:
            return self.response(409, message=e.message)
        return self.response_422(message=e.messages())

    def _payload_problem(self):
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return None
        columns = self.add_columns if request.method == "POST" else self.edit_columns
        return related_out_of_scope(self.datamodel.session, model_of(self), payload, columns)

    @staticmethod
    def _load(schema, data, **kwargs):
        """marshmallow-sqlalchemy keeps `instance` (and its session) on the schema object
        while it loads, and FAB shares one schema object among every request thread: under
        the threaded server one request was handed another's row. Each load runs on a copy
        of its own (the fields, which hold no request state, are shared)."""
        return copy.copy(schema).load(data, **kwargs)

    def post_headless(self):
        """FAB's POST, loading on a schema of the request's own (_load)."""
        problem = self._payload_problem()
        if problem:
            return self._rejected(problem)
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message=_("请求内容应为 JSON 对象（{…}）"))
        try:
            item = self._load(self.add_model_schema, payload)
        except ValidationError as err:
            self.datamodel.session.rollback()
            return self.response_422(message=err.messages)
        try:
            self.pre_add(item)
            self.datamodel.add(item)
        except RowRejected as e:
            return self._rejected(e)
        except DatabaseException as e:
            return self._database_refused(e)
        self.post_add(item)
        return self.response(201, result=self.add_model_schema.dump(item, many=False),
                             id=self.datamodel.get_pk_value(item))

    def put_headless(self, pk):
        """FAB's PUT plus the version check (body `version` or `If-Match`): a stale write
        is refused with 409, never merged; a race lost in the database is 409 too."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message=_("请求内容应为 JSON 对象（{…}）"))
        expected = payload.pop("version", None)
        if_match = request.headers.get("If-Match")
        if if_match and if_match.strip() != "*":
            expected = if_match.strip().removeprefix("W/").strip('"')
        if expected is not None and str(expected) != str(item.version):
            return self.response(409, message=_("该记录已被他人修改，请刷新后重新编辑"))
        problem = self._payload_problem()
        if problem:
            return self._rejected(problem)
        try:
            data = self._merge_update_item(item, payload)
            item = self._load(self.edit_model_schema, data, instance=item)
        except ValidationError as err:
            self.datamodel.session.rollback()
            return self.response_422(message=err.messages)
        try:
            self.pre_update(item)
        except RowRejected as e:
            return self._rejected(e)
        try:
            self.datamodel.edit(item)
        except DatabaseException as e:
            return self._database_refused(e)
        except RowRejected as e:  # refused while writing (a lock taken in the flush)
            return self._rejected(e)
        self.post_update(item)
        response = self.response(200, result=self.edit_model_schema.dump(item, many=False))
        response.set_etag(str(item.version))
        return response

    def get_headless(self, pk, **kwargs):
        """GET answers an ETag: the row's version, for If-Match on the next PUT."""
        response = super().get_headless(pk, **kwargs)
        if response.status_code == 200:
            version = (response.get_json().get("result") or {}).get("version")
            if version is None:
                item = self.datamodel.get(pk, self._base_filters)
                version = getattr(item, "version", None)
            if version is not None:
                response.set_etag(str(version))
        return response

    def delete_headless(self, pk):
        try:
            return super().delete_headless(pk)
        except RowRejected as e:
            return self._rejected(e)

    def get_list_headless(self, **kwargs):
        args = kwargs.get("rison", {})
        page, page_size = self._handle_page_args(args)
        if beyond_cap(page, page_size):
            return self.response_400(message=_(
                "列表最多翻到第 %(n)s 条，请增加筛选条件，或用导出取得全部记录",
                n=f"{COUNT_CAP:,}"))
        return super().get_list_headless(**kwargs)

    def pre_get_list(self, data):
        """A capped count says so: `count_capped` true means "more than 10,000"."""
        data["count_capped"] = bool(getattr(data.get("count"), "capped", False))

    def pre_get(self, data):
        """Add the workflow history to a row's GET answer."""
        flow = model_of(self).workflow
        if flow is None or "id" not in data.get("result", {}):
            return
        item = self.datamodel.get(data["result"]["id"], self._base_filters)
        data["result"]["history"] = [
            {"step": h.step, "from": h.from_state, "to": h.to_state,
             "user": h.user.username, "at": h.at.isoformat(), "comment": h.comment}
            for h in history(self.datamodel.session, item)]

    # --- DESIGN.md §8: GET /export.xlsx?q=<rison> --------------------------
    @expose("/export.xlsx", methods=["GET"])
    @protect()
    @safe
    @rison(get_list_schema)
    @permission_name("export_xlsx")
    def export_xlsx(self, **kwargs):
        return export_response(self, api=True)

    def export_plan(self):
        return api_export_plan(self, export_names(self.list_columns,
                                                  [("", {"fields": self.show_columns})]))

    # --- DESIGN.md §8: POST /<id>/transition/<name> ------------------------
    @expose("/<int:pk>/transition/<name>", methods=["POST"])
    @protect()
    @safe
    @permission_name("get")
    def transition(self, pk, name):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return self.response_400(message=_("请求内容应为 JSON 对象（{…}）"))
        for key, value in body.items():
            if isinstance(value, (list, dict)):
                return self.response_400(message=_("“%(f)s”应为单个值", f=key))
        try:
            fire(self.datamodel.session, item, name, g.user,
                 lambda perm: self.appbuilder.sm.has_access(perm, self.view_permission_name),
                 comment=body.get("comment"), data=body)
        except TransitionError as e:
            return self.response(e.status, message=e.message)
        except StaleDataError:  # a racing transition won: one 200, one 409
            self.datamodel.session.rollback()
            return self.response(409, message=stale_message())
        except RowRejected as e:
            return self._rejected(e)
        item = self.datamodel.get(pk, self._base_filters)
        return self.response(200, id=pk, result=self.show_model_schema.dump(item))
