"""The dashboard and a 图表 page in real Chromium: every tile is drawn (a canvas, no error
message), the browser console has no error, and no request leaves the console's host."""
import os
import shutil
import threading
from urllib.parse import urlparse

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


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
    from selenium import webdriver
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1366,768"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    yield browser
    browser.quit()


def drawn_tiles(chrome, live_url, path):
    """Open `path`, wait until every tile is drawn or failed; (tiles, hosts, errors)."""
    chrome.get_log("browser")  # forget earlier pages' messages
    chrome.get(live_url + path)
    WebDriverWait(chrome, 30).until(lambda d: d.execute_script(
        "var t = document.querySelectorAll('.chart-tile');"
        "return t.length > 0 && Array.prototype.every.call(t, function (e) {"
        " return e.dataset.drawn; });"))
    tiles = chrome.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('.chart-tile'), function (e) {"
        " return {id: e.id, drawn: e.dataset.drawn, canvas: !!e.querySelector('canvas'),"
        " message: e.querySelector('.chart-message').textContent,"
        " width: e.querySelector('canvas') ? e.querySelector('canvas').clientWidth : 0}; });")
    urls = chrome.execute_script(
        "return performance.getEntries().map(function (e) { return e.name; });")
    hosts = {urlparse(u).netloc for u in urls if urlparse(u).scheme in ("http", "https")}
    errors = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
    return tiles, hosts, errors


def sign_in(chrome, live_url, user):
    from tools.screenshot import login
    chrome.delete_all_cookies()
    login(chrome, live_url, user)


@pytest.mark.parametrize("user", ["supervisor1", "executive"])
def test_dashboard_draws_every_tile_offline(chrome, live_url, user):
    sign_in(chrome, live_url, user)
    tiles, hosts, errors = drawn_tiles(chrome, live_url, "/")
    assert len(tiles) >= 7
    for tile in tiles:
        assert tile["drawn"] == "1" and tile["canvas"] and not tile["message"], tile
        assert tile["width"] > 200, tile
    assert hosts == {urlparse(live_url).netloc}, hosts
    assert not errors, errors


def test_dashboard_filter_redraws_with_the_period(chrome, live_url):
    sign_in(chrome, live_url, "supervisor1")
    tiles, hosts, errors = drawn_tiles(chrome, live_url, "/dashboard/?from=2025-01&to=2025-06")
    assert all(t["drawn"] == "1" for t in tiles) and not errors
    assert chrome.find_element("id", "chart-from").get_attribute("value") == "2025-01"


def test_chart_page_is_usable_on_a_phone(chrome, live_url):
    sign_in(chrome, live_url, "clerk1")
    chrome.set_window_size(390, 844)
    try:
        tiles, hosts, errors = drawn_tiles(chrome, live_url, "/charts/complaint/")
        assert tiles and all(t["drawn"] == "1" and t["canvas"] for t in tiles)
        assert all(t["width"] <= 390 for t in tiles)
        overflow = chrome.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;")
        assert not overflow
        assert hosts == {urlparse(live_url).netloc} and not errors
    finally:
        chrome.set_window_size(1366, 768)


def test_each_chart_offers_save_as_png(chrome, live_url):
    sign_in(chrome, live_url, "executive")
    drawn_tiles(chrome, live_url, "/charts/transaction/")
    features = chrome.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('.chart-canvas'),"
        " function (e) { var o = echarts.getInstanceByDom(e).getOption();"
        " return !!o.toolbox[0].feature.saveAsImage; });")
    assert features and all(features)
    url = chrome.execute_script(
        "return echarts.getInstanceByDom(document.querySelector('.chart-canvas'))"
        ".getDataURL({type: 'png'});")
    assert url.startswith("data:image/png;base64,")


def test_complaint_stats_page_draws_its_trend(chrome, live_url):
    sign_in(chrome, live_url, "supervisor1")
    tiles, hosts, errors = drawn_tiles(chrome, live_url, "/complaintstats/")
    assert [t["drawn"] for t in tiles] == ["1"] and not errors


def test_abc_page_draws_its_pareto_with_echarts(chrome, live_url, api):
    from tests.conftest import unique
    clerk = api("clerk1")
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("帕累托客户")}).json["id"]
    r = clerk.post("/api/v1/transaction/", json={"customer": customer, "date": "2018-05-04",
                                                 "product": "图表", "amount": "123.45"})
    assert r.status_code == 201, r.json
    sign_in(chrome, live_url, "clerk1")
    tiles, hosts, errors = drawn_tiles(chrome, live_url, "/grading/abc/?year=2018")
    assert [t["drawn"] for t in tiles] == ["1"] and tiles[0]["canvas"] and not errors
    assert hosts == {urlparse(live_url).netloc}
