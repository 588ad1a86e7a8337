"""Form widgets FAB 5.3 gets wrong.

FAB's DateTimePickerWidget is bootstrap-datepicker, which picks dates only: clicking into
a field holding `2026-12-01 12:46:12` and out again rewrote it to `2026-12-01`, and the
save then failed. Date-and-time fields use the browser's own date-time input instead
(offline, localised by the browser, seconds kept); date-only fields keep FAB's picker.

FAB's filter form offers a free-text box (prefilled with a raw code) for every column;
FilterWidget offers each column's values as app.filters reads them.
"""
from flask_appbuilder.widgets import SearchWidget
from markupsafe import Markup
from wtforms import DateTimeField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import html_params

from app.filters import OTHER, DateBetween, kind_of, value_choices

# The first format is what the input shows (datetime-local needs the "T"); the others are
# what people and old forms send.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%d %H:%M"]


class DateTimeLocalWidget:
    """<input type="datetime-local" step="1">: date and time, to the second."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("name", field.name)
        kwargs.setdefault("step", "1")
        kwargs.setdefault("min", "1900-01-01T00:00:00")
        kwargs.setdefault("max", "2100-12-31T23:59:59")
        css = ("form-control appbuilder_datetime_local " + kwargs.pop("class", "")).strip()
        value = field._value() if field.data is not None or field.raw_data else ""
        return Markup(f'<input type="datetime-local" class="{css}" '
                      f'{html_params(value=value, **kwargs)}>')


def datetime_field(label, description="", required=False, **kwargs) -> DateTimeField:
    return DateTimeField(label, format=DATETIME_FORMATS, widget=DateTimeLocalWidget(),
                         description=description,
                         validators=[DataRequired() if required else Optional()], **kwargs)


class FilterWidget(SearchWidget):
    """The list's filters, described per column for app/static/js/filters.js (no inline
    script): a choice column lists its labels, a boolean 是/否, a date gets date inputs
    (two for 介于); other columns keep FAB's form field. Active filters carry their place
    in the column's list (the `n` of `_flt_<n>_<column>`)."""

    template = "register/search.html"

    def __call__(self, **kwargs):
        form, filters = self.template_args["form"], self.filters
        per_column = filters.get_search_filters()
        datamodel = filters.datamodel
        columns = {}
        for col in self.template_args["include_cols"]:
            kind = kind_of(datamodel, col)
            columns[col] = {
                "label": str(form[col].label.text),
                "kind": kind,
                "operators": [{"name": str(f.name), "between": isinstance(f, DateBetween)}
                              for f in per_column[col]],
                "choices": value_choices(datamodel.obj, col, kind),
                "field": str(form[col]()) if kind == OTHER else "",
            }
        active = []
        for flt, values in filters.get_filters_values():
            own = [type(f) for f in per_column.get(flt.column_name, [])]
            if type(flt) not in own:
                continue
            for value in values if isinstance(values, list) else [values]:
                active.append([flt.column_name, own.index(type(flt)), value])
        kwargs["filter_data"] = {"columns": columns, "active": active}
        return super(SearchWidget, self).__call__(**kwargs)
