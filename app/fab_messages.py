"""Flask-AppBuilder strings that users of the console can see.

Why this module exists
----------------------
FAB 5.3 ships its own catalogs, but its ``zh`` catalog is incomplete (Add,
Edit, Delete, the search filters ... are missing) and it has no Traditional
Chinese at all: for the ``zh_TW`` locale (folder ``zh_Hant_TW``) gettext falls
back to FAB's *Simplified* ``zh`` folder.  Flask-Babel merges FAB's catalog
first and ours after it, so an entry in ``translations/<locale>`` wins.

``pybabel update`` drops every entry whose msgid is not found in our own
source, so each FAB string we translate has to appear here, spelled exactly as
in FAB 5.3 (placeholders included).  Nothing imports this module at run time;
it only feeds ``tools/i18n.py extract``.

Left out on purpose: OAuth/LDAP/OpenID/SAML/remote-user and self-registration
strings, the "User's Statistics" chart, the chart views, generic (non-SQLA)
filters and developer-only log messages.

Strings that FAB templates hard-code in English are wrapped in ``_()`` in the
overrides under ``app/templates/appbuilder/`` and are extracted from there.
"""

from flask_babel import lazy_gettext

FAB_MESSAGES = (
    # -- CRUD flash messages (baseviews.BaseCRUDView) -------------------------
    lazy_gettext("Added Row"),
    lazy_gettext("Changed Row"),
    lazy_gettext("Deleted Row"),
    lazy_gettext("Associated data exists, please delete them first"),
    lazy_gettext("Integrity error, probably unique constraint"),
    lazy_gettext("Database Error"),
    lazy_gettext("Access is Denied"),
    # -- list / show / edit pages (templates/appbuilder/general/lib.html ...) --
    lazy_gettext("Search"),
    lazy_gettext("Back"),
    lazy_gettext("Save"),
    lazy_gettext("No records found"),
    lazy_gettext("Actions"),
    lazy_gettext("Page size"),
    lazy_gettext("Order by"),
    lazy_gettext("Record Count"),
    lazy_gettext("Add a new record"),
    lazy_gettext("Add"),
    lazy_gettext("Edit record"),
    lazy_gettext("Edit"),
    lazy_gettext("Show record"),
    lazy_gettext("Show"),
    lazy_gettext("Delete record"),
    lazy_gettext("Delete"),
    lazy_gettext("Are you sure you want to delete this item?"),
    lazy_gettext("User confirmation needed"),
    lazy_gettext("Detail"),
    lazy_gettext("Welcome"),
    # -- search widget and filters (widgets/search.html, models/sqla/filters.py)
    lazy_gettext("Add Filter"),
    lazy_gettext("Starts with"),
    lazy_gettext("Not Starts with"),
    lazy_gettext("Ends with"),
    lazy_gettext("Not Ends with"),
    lazy_gettext("Contains"),
    lazy_gettext("Not Contains"),
    lazy_gettext("Equal to"),
    lazy_gettext("Not Equal to"),
    lazy_gettext("Greater than"),
    lazy_gettext("Smaller than"),
    lazy_gettext("In"),
    lazy_gettext("Not In"),
    lazy_gettext("Relation"),
    lazy_gettext("No Relation"),
    lazy_gettext("Relation as Many"),
    # -- form widgets and validators (fieldwidgets.py, fields.py, validators.py)
    lazy_gettext("Select Value"),
    lazy_gettext("Not a valid choice"),
    lazy_gettext("Not a valid date value"),
    lazy_gettext("Already exists."),
    lazy_gettext("Invalid file extension"),
    lazy_gettext(
        "Must have at least two capital letters, one special character, two "
        "digits, three lower case letters and a minimal length of 10."
    ),
    # -- navbar (navbar_right.html) -------------------------------------------
    lazy_gettext("Profile"),
    lazy_gettext("Logout"),
    lazy_gettext("Login"),
    # -- login page (security/views.py AuthDBView, login_db.html) -------------
    lazy_gettext("Sign In"),
    lazy_gettext("Enter your login and password below"),
    lazy_gettext("Username"),
    lazy_gettext("Password"),
    lazy_gettext("Invalid login. Please try again."),
    # -- Security menu (security/manager.py) ----------------------------------
    lazy_gettext("Security"),
    lazy_gettext("List Users"),
    lazy_gettext("List Roles"),
    lazy_gettext("List Groups"),
    lazy_gettext("Base Permissions"),
    lazy_gettext("Views/Menus"),
    lazy_gettext("Permission on Views/Menus"),
    # -- users (security/views.py UserModelView, UserDBModelView) -------------
    lazy_gettext("Show User"),
    lazy_gettext("Add User"),
    lazy_gettext("Edit User"),
    lazy_gettext("Full Name"),
    lazy_gettext("First Name"),
    lazy_gettext("Last Name"),
    lazy_gettext("User Name"),
    lazy_gettext("Is Active?"),
    lazy_gettext("Email"),
    lazy_gettext("Role"),
    lazy_gettext("Groups"),
    lazy_gettext("Last login"),
    lazy_gettext("Login count"),
    lazy_gettext("Failed login count"),
    lazy_gettext("Created on"),
    lazy_gettext("Created by"),
    lazy_gettext("Changed on"),
    lazy_gettext("Changed by"),
    lazy_gettext("Write the user first name or names"),
    lazy_gettext("Write the user last name"),
    lazy_gettext("Username valid for authentication on DB or LDAP, unused for OID auth"),
    lazy_gettext("The user's password for authentication"),
    lazy_gettext("It's not a good policy to remove a user, just make it inactive"),
    lazy_gettext("The user's email, this will also be used for OID auth"),
    lazy_gettext(
        "The user role on the application,"
        " this will associate with a list of permissions"
    ),
    lazy_gettext(
        "The user group on the application,"
        " this will associate with a list of roles associated with the group"
    ),
    lazy_gettext("Either select a role or a group"),
    lazy_gettext("Confirm Password"),
    lazy_gettext("Please rewrite the user's password to confirm"),
    lazy_gettext("User info"),
    lazy_gettext("Personal Info"),
    lazy_gettext("Audit Info"),
    lazy_gettext("Your user information"),
    lazy_gettext("Edit User Information"),
    lazy_gettext("User information changed"),
    # -- passwords (security/forms.py ResetPasswordForm, reset views) ---------
    lazy_gettext("Reset my password"),
    lazy_gettext("Reset Password"),
    lazy_gettext("Reset Password Form"),
    lazy_gettext("Password Changed"),
    lazy_gettext(
        "Please use a good password policy,"
        " this application does not check this for you"
    ),
    lazy_gettext("Please rewrite the password to confirm"),
    lazy_gettext("Passwords must match"),
    # -- roles and groups (RoleModelView, UserGroupModelView) -----------------
    lazy_gettext("Show Role"),
    lazy_gettext("Add Role"),
    lazy_gettext("Edit Role"),
    lazy_gettext("Name"),
    lazy_gettext("Permissions"),
    lazy_gettext("Copy Role"),
    lazy_gettext("Copy the selected roles?"),
    lazy_gettext("User(s) exists in the role, cannot delete"),
    lazy_gettext("Show Group"),
    lazy_gettext("Add Group"),
    lazy_gettext("Edit Group"),
    lazy_gettext("User(s) exists in the group, cannot delete"),
    # -- permission views (PermissionModelView, ViewMenuModelView, ...) ------
    lazy_gettext("List Base Permissions"),
    lazy_gettext("Show Base Permission"),
    lazy_gettext("Add Base Permission"),
    lazy_gettext("Edit Base Permission"),
    lazy_gettext("List View Menus"),
    lazy_gettext("Show View Menu"),
    lazy_gettext("Add View Menu"),
    lazy_gettext("Edit View Menu"),
    lazy_gettext("List Permissions on Views/Menus"),
    lazy_gettext("Show Permission on Views/Menus"),
    lazy_gettext("Add Permission on Views/Menus"),
    lazy_gettext("Edit Permission on Views/Menus"),
    lazy_gettext("Permission"),
    lazy_gettext("View/Menu"),
    # -- REST API messages (api/__init__.py, security/api.py).  FAB returns these
    # in English and does not translate them; they take effect only where our
    # API base class passes them through gettext (e.g. overriding
    # response_401/403/404).
    lazy_gettext("Not authorized"),
    lazy_gettext("Forbidden"),
    lazy_gettext("Not found"),
    lazy_gettext("Request is not JSON"),
    lazy_gettext("Request payload is not JSON"),
    lazy_gettext("Not a valid rison argument"),
    lazy_gettext("Not a valid rison/json argument"),
)

# WTForms' own validator messages, spelled exactly as in WTForms 3.  FAB's
# form template shows every field error through ``_(error)``, so with
# ``WTF_I18N_ENABLED = False`` these come out of our catalogs in all three
# locales (WTForms' catalogs have no folder for zh_Hant_TW, so zh_TW would
# otherwise get WTForms' Simplified text).  Messages with placeholders
# (Length, NumberRange, EqualTo ...) are formatted before ``_()`` sees them and
# cannot be caught this way: give those validators an explicit ``message=``.
WTFORMS_MESSAGES = (
    lazy_gettext("This field is required."),
    lazy_gettext("Invalid input."),
    lazy_gettext("Invalid email address."),
    lazy_gettext("Invalid URL."),
    lazy_gettext("Not a valid choice."),
    lazy_gettext("Not a valid integer value."),
    lazy_gettext("Not a valid decimal value."),
    lazy_gettext("Not a valid float value."),
    lazy_gettext("Not a valid date value."),
    lazy_gettext("Not a valid datetime value."),
    lazy_gettext("Not a valid time value."),
    lazy_gettext("Invalid Choice: could not coerce."),
)
