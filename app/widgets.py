"""Form widgets FAB 5.3 gets wrong.

FAB's DateTimePickerWidget is bootstrap-datepicker, which picks dates only: clicking into
a field holding `2026-12-01 12:46:12` and out again rewrote it to `2026-12-01`, and the
save then failed. Date-and-time fields use the browser's own date-time input instead
(offline, localised by the browser, seconds kept); date-only fields keep FAB's picker.
"""
from markupsafe import Markup
from wtforms import DateTimeField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import html_params

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
