"""WTForms and FAB validator messages in the reader's language, from our catalogs.

WTForms' own catalogs have no zh_Hant_TW and Flask-WTF looks them up by a
locale name they do not use, so forms answered "This field is required." and
"Field cannot be longer than 200 characters.". Every FAB form (DynamicForm)
gets `FormTranslations`, which asks Flask-Babel (our catalogs, where each
message below is translated). The tuple only feeds `tools/i18n.py extract`.
"""
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.forms import DynamicForm
from flask_babel import get_translations, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("Invalid CSRF Token."),
    _l("CSRF token missing."),
    _l("CSRF failed."),
    _l("CSRF token expired."),
    _l("The CSRF token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid choice."),
    _l("Not a valid choice"),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Already exists."),
)


def _plurals(n):  # never called: the plural messages, spelled as WTForms spells them
    return (
        ngettext("Field must be at least %(min)d character long.",
                 "Field must be at least %(min)d characters long.", n),
        ngettext("Field cannot be longer than %(max)d character.",
                 "Field cannot be longer than %(max)d characters.", n),
        ngettext("Field must be exactly %(max)d character long.",
                 "Field must be exactly %(max)d characters long.", n),
        ngettext("'%(value)s' is not a valid choice for this field.",
                 "'%(value)s' are not valid choices for this field.", n),
    )


class FormTranslations:
    """The object WTForms calls `field.gettext`/`field.ngettext` on; the message is
    formatted by WTForms afterwards, so nothing is interpolated here."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ngettext(singular, plural, n)


TRANSLATIONS = FormTranslations()


class _Meta(FlaskForm.Meta):
    def get_translations(self, form):
        return TRANSLATIONS


def install() -> None:
    """Every FAB form (model forms, login, user forms) translates through our catalogs,
    and an optional related dropdown's blank choice reads "—", not its value `__None`."""
    DynamicForm.Meta = _Meta
    if not getattr(QuerySelectField.iter_choices, "blank_shown", False):
        QuerySelectField.iter_choices = _with_blank_label(QuerySelectField.iter_choices)


def _with_blank_label(iter_choices):
    # WTForms >= 3.2 renders an option without a label as its value; FAB's blank has none.
    def choices(field):
        for value, label, *rest in iter_choices(field):
            yield (value, label or "—", *rest) if value == "__None" else (value, label, *rest)
    choices.blank_shown = True
    return choices
