"""Every view and API of the console, registered in menu order."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.views import complaints as cmp
from app.views import customers as cust
from app.views import grading as grad
from app.views import receptions as rcp
from app.views import satisfaction as sat
from app.views import visits as vis
from app.views.audit import AuditLogApi, AuditLogView
from app.views.charts import ChartApi, ChartPageView
from app.views.dashboard import DashboardView
from app.views.exports import ExportJobApi, ExportJobView
from app.views.home import WorklistApi, worklist_badge
from app.views.org import DepartmentApi, DepartmentView
from app.views.roles_matrix import PermissionMatrixView
from app.views.saved_views import SavedViewApi, SavedViewWebView
from app.views.users import HandoverView

CUSTOMERS = ("Customers", _l("客户管理"), "fa-address-book")
ORGANISATION = ("Organisation", _l("组织"), "fa-building")
GRADING = ("Grading", _l("客户分级"), "fa-star")
VISITS = ("Visits", _l("客户拜访"), "fa-car")
SERVICE = ("Service", _l("客户服务"), "fa-life-ring")
SETTINGS = ("Settings", _l("系统设置"), "fa-cogs")


def add(appbuilder, view, name, label, icon, category):
    cat_name, cat_label, cat_icon = category
    appbuilder.add_view(view, name, label=label, icon=icon, category=cat_name,
                        category_label=cat_label, category_icon=cat_icon)


def register_views(appbuilder) -> None:
    appbuilder.add_view(DashboardView, "Dashboard", label=_l("仪表盘"), icon="fa-dashboard")
    add(appbuilder, cust.CustomerView, "Customer files", _l("客户档案"), "fa-id-card", CUSTOMERS)
    add(appbuilder, cust.ContactView, "Contacts", _l("联系人"), "fa-user", CUSTOMERS)
    add(appbuilder, cust.TransactionView, "Transactions", _l("交易记录"), "fa-jpy", CUSTOMERS)
    add(appbuilder, cust.DevelopmentPlanView, "Development plans", _l("大客户开发计划"),
        "fa-road", CUSTOMERS)
    add(appbuilder, cust.ArchiveLoanView, "Archive loans", _l("资料借阅"), "fa-archive",
        CUSTOMERS)
    vis.register(appbuilder, add, VISITS)  # issue 11: 拜访计划表, 明细, 拜访记录, 待联系客户
    add(appbuilder, cmp.ComplaintView, "Complaints", _l("客户投诉登记表"), "fa-bullhorn", SERVICE)
    add(appbuilder, cmp.MyOverdueComplaintView, "My overdue complaints", _l("我的超期投诉"),
        "fa-clock-o", SERVICE)
    add(appbuilder, cmp.ComplaintStatsView, "Complaint statistics", _l("投诉月度统计"),
        "fa-bar-chart", SERVICE)
    add(appbuilder, cmp.ImprovementMeasureView, "Improvement measures", _l("整改措施"),
        "fa-wrench", SERVICE)
    add(appbuilder, rcp.ReceptionView, "Receptions", _l("客户接待"), "fa-handshake-o", SERVICE)
    add(appbuilder, rcp.ReceptionExpenseView, "Reception expenses", _l("接待费用"), "fa-money",
        SERVICE)
    add(appbuilder, rcp.ReceptionCostsView, "Reception costs", _l("接待费用统计"),
        "fa-line-chart", SERVICE)
    # issue 13: 满意度调查, 调查答卷, 客户需求受理
    add(appbuilder, sat.SatisfactionSurveyView, "Satisfaction surveys", _l("满意度调查"),
        "fa-smile-o", SERVICE)
    add(appbuilder, sat.SurveyResponseView, "Survey responses", _l("调查答卷"), "fa-list-alt",
        SERVICE)
    add(appbuilder, sat.ServiceRequestView, "Service requests", _l("客户需求受理"),
        "fa-phone", SERVICE)
    add(appbuilder, sat.ServiceRequestStatsView, "Service request statistics",
        _l("需求月度统计"), "fa-line-chart", SERVICE)
    grad.register(appbuilder, add, GRADING)  # issue 5: 等级评定, ABC 分析, 复评到期, 评级规则
    add(appbuilder, DepartmentView, "Departments", _l("部门"), "fa-sitemap", ORGANISATION)
    add(appbuilder, cmp.WorkdayOverrideView, "Workday overrides", _l("工作日调整"),
        "fa-calendar", SETTINGS)
    add(appbuilder, AuditLogView, "Audit log", _l("操作日志"), "fa-history", SETTINGS)
    appbuilder.add_api(AuditLogApi)
    for api in (rcp.ReceptionApi, rcp.ReceptionExpenseApi, sat.SatisfactionSurveyApi,
                sat.SurveyResponseApi, sat.ServiceRequestApi):
        appbuilder.add_api(api)
    for api in (cmp.ComplaintApi, cmp.ImprovementMeasureApi, cmp.WorkdayOverrideApi):
        appbuilder.add_api(api)
    for api in (cust.CustomerApi, cust.ContactApi, cust.TransactionApi,
                cust.DevelopmentPlanApi, cust.ArchiveLoanApi, DepartmentApi):
        appbuilder.add_api(api)
    appbuilder.add_view(PermissionMatrixView, "Permission matrix", label=_l("权限矩阵"),
                        icon="fa-th", category="Security")
    appbuilder.add_view_no_menu(ChartPageView)
    appbuilder.add_view_no_menu(cmp.OverdueComplaintView)
    appbuilder.add_api(WorklistApi)
    current_app.jinja_env.globals["worklist_badge"] = worklist_badge
    appbuilder.add_api(ChartApi)
    appbuilder.add_view_no_menu(HandoverView)
    appbuilder.add_view_no_menu(ExportJobView)
    appbuilder.add_api(ExportJobApi)
    appbuilder.add_view_no_menu(SavedViewWebView)
    appbuilder.add_api(SavedViewApi)
