"""A real browser (Debian's headless Chromium) against a live server: what a clerk sees."""
import os
import re
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import unique

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# English a zh_CN user must never see on these pages (FAB's defaults).
ENGLISH = re.compile(r"\b(Search|Add Filter|Record Count|Actions|List|Edit|Delete|Show|Save|"
                     r"Back|Login|Logout|Forbidden|Not Found|Yes|No|True|False)\b")


@pytest.fixture(scope="module")
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def chrome():
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium and chromium-driver")
        pytest.skip("Debian chromium/chromium-driver not installed")
    from tools.screenshot import driver  # noqa: PLC0415
    browser = driver()
    yield browser
    browser.quit()


def sign_in(chrome, live_url, user):
    from tools.screenshot import login
    chrome.delete_all_cookies()
    login(chrome, live_url, user)


def body_text(chrome) -> str:
    return chrome.find_element("tag name", "body").text


def submit(chrome):
    """Click the form's save button and wait for the next page."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    form = chrome.find_element("css selector", "form#model_form")
    form.find_element("css selector", "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.staleness_of(form))


def test_clerk_pages_show_no_english(chrome, live_url):
    sign_in(chrome, live_url, "clerk1")
    for path in ("/", "/customerview/list/", "/customerview/add", "/contactview/list/",
                 "/transactionview/add", "/developmentplanview/list/", "/archiveloanview/list/"):
        chrome.get(live_url + path)
        text = body_text(chrome)
        assert "您好" in text or "列表" in text or "新增" in text, (path, text[:200])
        assert not ENGLISH.search(text), (path, ENGLISH.search(text).group(0))


def test_empty_required_field_is_explained_in_chinese(chrome, live_url):
    sign_in(chrome, live_url, "clerk1")
    chrome.get(live_url + "/customerview/add")
    chrome.execute_script("document.querySelectorAll('[required]')"
                          ".forEach(e => e.removeAttribute('required'))")
    submit(chrome)
    assert "必填" in body_text(chrome)


def test_customer_added_in_browser_gets_a_code(chrome, live_url):
    from selenium.webdriver.support.ui import Select
    sign_in(chrome, live_url, "clerk1")
    name = unique("浏览器客户")
    chrome.get(live_url + "/customerview/add")
    chrome.find_element("name", "name").send_keys(name)
    Select(chrome.find_element("name", "customer_type")).select_by_visible_text("集团客户")
    submit(chrome)
    chrome.get(live_url + "/customerview/list/?_flt_0_name=" + name)
    assert re.search(r"KH\d{4}-\d{5}", body_text(chrome))


def test_traditional_chinese_is_selectable(chrome, live_url):
    sign_in(chrome, live_url, "clerk1")
    chrome.get(live_url + "/lang/zh_TW")
    chrome.get(live_url + "/customerview/list/")
    text = body_text(chrome)
    assert "客戶檔案" in text and "搜尋" in text
    chrome.get(live_url + "/lang/zh")
