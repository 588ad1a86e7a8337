"""Password complexity, enforced by FAB's forms and by every path that sets a password."""
import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8


def password_problem(password: str) -> str | None:
    """Return a Chinese reason the password is too weak, or None when it is acceptable."""
    if len(password or "") < MIN_LENGTH:
        return _("密码至少 %(n)d 位", n=MIN_LENGTH)
    classes = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"]
    if sum(bool(re.search(c, password)) for c in classes) < 3:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    return None


def password_rule():
    """The rule in words, shown under every password field."""
    return _l("至少 %(n)d 位，须包含大写字母、小写字母、数字、符号中的至少三类", n=MIN_LENGTH)


def validate_password(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: raise with the reason."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)
