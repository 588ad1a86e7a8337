"""Form fields shared by the register views.

SearchSelectField: a related row (e.g. the customer of a contact) chosen by typing a few
letters of its name or code (Select2 ajax against the view's /search_related/<column>),
instead of a dropdown listing every row; it starts empty, and an id the user may not
see is refused like one that does not exist.

MoneyField / MoneyDecimal: amounts as people write them, `186,500.00`, in forms and the API.
"""
import re
from decimal import Decimal

from flask import current_app, request, url_for
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_babel import gettext as _
from markupsafe import Markup, escape
from marshmallow import fields as schema_fields
from sqlalchemy import select
from wtforms import DecimalField, Field
from wtforms.validators import StopValidation
from wtforms.widgets import html_params

from app.guards import parse_id
from app.scope import in_scope, scope_clause

SEARCH_COLUMNS = ("code", "name", "title", "objective", "document")


def search_columns(model) -> list:
    return [getattr(model, c) for c in SEARCH_COLUMNS if c in model.__table__.columns]


class SearchSelectWidget:
    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs.pop("required", None)  # Select2 hides the <select>: the browser cannot focus it
        options = '<option value=""></option>'
        if field.filtering:
            # FAB's filter script selects the active value: it needs its <option>
            options += "".join(f'<option value="{row.id}">{escape(str(row))}</option>'
                               for row in field.filtered_rows())
        elif field.data is not None:
            options += (f'<option value="{field.data.id}" selected>'
                        f'{escape(str(field.data))}</option>')
        url = url_for(f"{field.view_name}.search_related", column=field.short_name)
        attrs = html_params(name=field.name, **{
            "class": "form-control console-search-select", "data-url": url,
            "data-placeholder": _("输入名称或编号搜索"), "style": "width: 100%"}, **kwargs)
        return Markup(f"<select {attrs}>{options}</select>")


class SearchSelectField(Field):
    widget = SearchSelectWidget()

    def __init__(self, label=None, validators=None, model=None, view_name=None,
                 filtering=False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.model, self.view_name, self.raw, self._invalid = model, view_name, "", False
        self.filtering = filtering

    def filtered_rows(self) -> list:
        """The rows the list is filtered by (?_flt_<n>_<column>=<id>), in the viewer's scope."""
        pattern = re.compile(rf"_flt_\d+_{re.escape(self.short_name)}")
        ids = {parse_id(v) for k, values in request.args.lists() if pattern.fullmatch(k)
               for v in values} - {None}
        if not ids:
            return []
        session = current_app.appbuilder.session
        return session.scalars(select(self.model).where(
            self.model.id.in_(ids), scope_clause(self.model))).all()

    def _value(self):
        return "" if self.data is None else str(self.data.id)

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "") or ""
        self.data, self._invalid = None, False
        if self.raw in ("", "__None"):
            return
        obj, ident = None, parse_id(self.raw)
        if ident is not None:
            obj = current_app.appbuilder.session.get(self.model, ident)
        if obj is None or not in_scope(obj):
            self._invalid = True
        else:
            self.data = obj

    def pre_validate(self, form):
        if self._invalid:
            raise StopValidation(self.gettext("Not a valid choice"))


AMOUNT = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d*)?")


def plain_number(value):
    """`186,500.00` → `186500.00` (thousands grouped by commas, full- or half-width, and a
    leading ¥); anything else unchanged, for the number parser to judge."""
    if not isinstance(value, str):
        return value
    text = value.strip().replace("，", ",").lstrip("¥￥").strip()
    return text.replace(",", "") if AMOUNT.fullmatch(text) else value


class MoneyField(DecimalField):
    widget = BS3TextFieldWidget()

    def process_formdata(self, valuelist):
        super().process_formdata([plain_number(v) for v in valuelist])


class MoneyDecimal(schema_fields.Decimal):
    def _format_num(self, value) -> Decimal:
        return super()._format_num(plain_number(value))
