"""Script everywhere a user's text is shown (issue 24, DESIGN.md §9): a payload — an
<img onerror>, a </script> break-out, a javascript: URL, RTL override and zero-width
characters, a leading "=" for Excel, 10,000 characters where the column is unbounded —
goes into every text field of every register over the API; then every page that shows
it (list, show, home panels) holds it only escaped, Excel exports and paper forms hold no
formula, and Chromium opening a few of the pages sees no alert."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import String, Text
from sqlalchemy import inspect as sa_inspect

from tests.conftest import Api, unique
from tests.registers import Maker, registers
from tests.test_browser import chrome, live_url  # noqa: F401 (fixtures)

RAW = ("<img src=x onerror", "<script>alert(", "<a href=\"javascript:", "<svg onload")
HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>" \
          "<a href=\"javascript:alert(3)\">x</a><svg onload=alert(4)>\u202e\u200b"


def payload(column, marker: str) -> str:
    value = f"=SUM(1,2){marker}{HOSTILE}"  # the marker survives a short column
    if isinstance(column.type, Text) or not getattr(column.type, "length", None):
        return value + "名" * 10_000
    return value[:column.type.length]


def text_fields(r) -> dict:
    columns = sa_inspect(r.model).columns
    return {name: columns[name] for name in r.api.add_model_schema.fields
            if name in columns and isinstance(columns[name].type, (String, Text))
            and not getattr(r.model, "enums", {}).get(name)}


@pytest.fixture(scope="module")
def hostile(app):
    """One row per register with the payload in every text field it accepts (a field
    refused for its format — an e-mail, a month — keeps the sample's value)."""
    cache = {}

    def clients(username):
        if username not in cache:
            cache[username] = Api(app, username)
        return cache[username]
    maker = Maker(app, clients)
    rows = {}
    for r in registers(app):
        marker = unique("XSS")
        fields = {name: payload(col, marker) for name, col in text_fields(r).items()}
        body = maker.body(r.resource)
        for _attempt in range(4):
            got = clients(maker.author(r.resource, "clerk1")).post(
                f"/api/v1/{r.resource}/", json={**body, **fields})
            if got.status_code == 201:
                break
            message = got.json.get("message")
            refused = set(message) & set(fields) if isinstance(message, dict) else set()
            assert refused, (r.resource, got.status_code, message)
            fields = {k: v for k, v in fields.items() if k not in refused}
        assert got.status_code == 201, (r.resource, got.json)
        rows[r.resource] = (r, got.json["id"], marker, sorted(fields))
    return rows, clients


def raw_script(html: str) -> list[str]:
    return [needle for needle in RAW if needle in html]


def test_payload_reached_a_text_field_of_every_register(hostile):
    rows, _clients = hostile
    missing = [resource for resource, (r, _pk, _m, fields) in rows.items()
               if text_fields(r) and not fields]
    assert not missing, f"no text field took the payload: {missing}"


@pytest.mark.parametrize("username", ["admin", "clerk1", "supervisor1"])
def test_web_pages_show_the_payload_only_escaped(browser, hostile, username):
    rows, _clients = hostile
    web = browser(username)
    wrong = []
    for r, pk, marker, _fields in rows.values():
        if r.view is None:
            continue
        for url in (f"{r.view.route_base}/list/", f"{r.view.route_base}/show/{pk}"):
            got = web.get(url)
            if got.status_code != 200:
                continue
            html = got.get_data(as_text=True)
            if raw_script(html):
                wrong.append((url, raw_script(html)))
        if username == "admin" and _fields and \
                marker not in web.text(f"{r.view.route_base}/show/{pk}"):
            wrong.append((r.resource, "payload not shown on the show page"))
    html = web.text("/")  # the home panels
    if raw_script(html):
        wrong.append(("/", raw_script(html)))
    assert not wrong, wrong


def formulas(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    return [f"{sheet.title}!{cell.coordinate}" for sheet in book.worksheets
            for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_excel_exports_and_paper_forms_hold_no_formula(app, hostile):
    rows, clients = hostile
    admin = clients("admin")
    wrong = []
    for r, pk, marker, fields in rows.values():
        got = admin.get(f"/api/v1/{r.resource}/export.xlsx")
        if got.status_code == 200:
            if formulas(got.data):
                wrong.append((r.resource, "export", formulas(got.data)[:3]))
            sheet = load_workbook(io.BytesIO(got.data), read_only=True).active
            cells = [v for row in sheet.iter_rows(values_only=True) for v in row
                     if isinstance(v, str) and marker in v]
            if fields and not any(v.startswith("=SUM(1,2)") for v in cells):
                wrong.append((r.resource, "payload not exported as the text typed"))
        form = admin.get(f"/api/v1/{r.resource}/{pk}/form.xlsx")
        if form.status_code == 200 and formulas(form.data):
            wrong.append((r.resource, "paper form", formulas(form.data)[:3]))
    assert not wrong, wrong


def test_chromium_opens_the_pages_without_a_dialog(chrome, live_url, hostile):  # noqa: F811
    from selenium.common.exceptions import NoAlertPresentException

    from tools.screenshot import login
    rows, _clients = hostile
    chrome.delete_all_cookies()
    login(chrome, live_url, "admin")
    pages = ["/"]
    for resource in ("customer", "complaint", "reception", "visit_record"):
        r, pk, _marker, _fields = rows[resource]
        pages += [f"{r.view.route_base}/list/", f"{r.view.route_base}/show/{pk}"]
    for path in pages:
        chrome.get(live_url + path)
        try:
            text = chrome.switch_to.alert.text
        except NoAlertPresentException:
            text = None
        assert text is None, (path, text)
        assert chrome.find_elements("css selector", "img[src=x], svg[onload]") == [], path
