"""Every view and API of the console, registered in menu order."""
from flask_babel import lazy_gettext as _l

from app.views import customers as cust
from app.views.exports import ExportJobApi, ExportJobView
from app.views.org import DepartmentApi, DepartmentView
from app.views.users import HandoverView

CUSTOMERS = ("Customers", _l("客户管理"), "fa-address-book")
ORGANISATION = ("Organisation", _l("组织"), "fa-building")


def add(appbuilder, view, name, label, icon, category):
    cat_name, cat_label, cat_icon = category
    appbuilder.add_view(view, name, label=label, icon=icon, category=cat_name,
                        category_label=cat_label, category_icon=cat_icon)


def register_views(appbuilder) -> None:
    add(appbuilder, cust.CustomerView, "Customer files", _l("客户档案"), "fa-id-card", CUSTOMERS)
    add(appbuilder, cust.ContactView, "Contacts", _l("联系人"), "fa-user", CUSTOMERS)
    add(appbuilder, cust.TransactionView, "Transactions", _l("交易记录"), "fa-jpy", CUSTOMERS)
    add(appbuilder, cust.DevelopmentPlanView, "Development plans", _l("大客户开发计划"),
        "fa-road", CUSTOMERS)
    add(appbuilder, cust.ArchiveLoanView, "Archive loans", _l("资料借阅"), "fa-archive",
        CUSTOMERS)
    add(appbuilder, DepartmentView, "Departments", _l("部门"), "fa-sitemap", ORGANISATION)
    for api in (cust.CustomerApi, cust.ContactApi, cust.TransactionApi,
                cust.DevelopmentPlanApi, cust.ArchiveLoanApi, DepartmentApi):
        appbuilder.add_api(api)
    appbuilder.add_view_no_menu(HandoverView)
    appbuilder.add_view_no_menu(ExportJobView)
    appbuilder.add_api(ExportJobApi)
