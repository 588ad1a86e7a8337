"""In Chromium: a large export and a large import go to the job page, which shows the
result (the download, the count imported or the problems), for a clerk and a supervisor."""
import glob
import os
import shutil
import tempfile
import time

import openpyxl
import pytest
from selenium.webdriver.common.by import By

from tests.conftest import unique
from tests.test_browser import CHROMIUM, DRIVER, live_url  # noqa: F401  (fixture)
from tests.test_import import CUSTOMER_HEADER, xlsx

DOWNLOADS = tempfile.mkdtemp(prefix="console-queue-downloads-")


@pytest.fixture(scope="module")
def chrome():
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium and chromium-driver")
        pytest.skip("Debian chromium/chromium-driver not installed")
    from tools.screenshot import driver
    browser = driver(download_dir=DOWNLOADS)
    yield browser
    browser.quit()


@pytest.fixture
def background(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 1)
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 2)


def sign_in(chrome, live_url, user):  # noqa: F811
    from tools.screenshot import login
    chrome.delete_all_cookies()
    login(chrome, live_url, user)


def upload(chrome, live_url, rows):  # noqa: F811
    path = os.path.join(DOWNLOADS, f"{unique('up')}.xlsx")
    with open(path, "wb") as fh:
        fh.write(xlsx(CUSTOMER_HEADER, rows).getvalue())
    chrome.get(live_url + "/customerview/import_xlsx/")
    chrome.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(path)
    chrome.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()
    time.sleep(0.3)
    return chrome.find_element(By.TAG_NAME, "body").text


@pytest.mark.parametrize("user", ["clerk1", "supervisor1"])
def test_a_large_export_waits_on_the_job_page_then_downloads(
        chrome, live_url, api, background, user):  # noqa: F811
    prefix = unique("浏览器导出")
    a = api(user)
    for i in range(2):
        assert a.post("/api/v1/customer/", json={"name": f"{prefix}-{i}", "customer_type": "group",
                                                 "cooperation": "active"}).status_code == 201
    sign_in(chrome, live_url, user)
    for old in glob.glob(os.path.join(DOWNLOADS, "*.xlsx")):
        os.remove(old)
    chrome.get(f"{live_url}/customerview/list/?_flt_0_name={prefix}")
    chrome.find_element(By.CSS_SELECTOR, "a[href*='/customerview/export_xlsx/']").click()
    time.sleep(0.3)
    assert "/exports/" in chrome.current_url
    text = chrome.find_element(By.TAG_NAME, "body").text
    assert "导出 Excel" in text and "已完成" in text and "2 / 2" in text
    chrome.find_element(By.CSS_SELECTOR, "a[href$='/download']").click()
    for _i in range(100):
        files = glob.glob(os.path.join(DOWNLOADS, "客户档案_*.xlsx"))
        if files:
            break
        time.sleep(0.1)
    assert openpyxl.load_workbook(files[0]).active.max_row == 3


@pytest.mark.parametrize("user", ["clerk1", "supervisor1"])
def test_a_large_import_shows_its_result_on_the_job_page(
        chrome, live_url, background, user):  # noqa: F811
    sign_in(chrome, live_url, user)
    prefix = unique("浏览器导入")
    text = upload(chrome, live_url, [[f"{prefix}-{i}", "集团客户"] + [None] * 9
                                     for i in range(3)])
    assert "/exports/" in chrome.current_url and "导入 Excel" in text and "已导入 3 行" in text
    rows = [[f"{prefix}-bad-{i}", "集团客户"] + [None] * 9 for i in range(3)]
    rows[2][1] = "没有这种类型"
    text = upload(chrome, live_url, rows)
    assert "未导入任何数据" in text
    cells = [c.text for c in chrome.find_elements(By.CSS_SELECTOR, "table.import-problems td")]
    assert cells[:2] == ["4", "客户类型"]
