"""Screenshots of console pages in headless Chromium (dev tool).

Usage: python tools/screenshot.py BASE_URL USER OUTDIR PATH [PATH ...]
Signs in as USER (password Demo@2026) and saves one PNG per path.
"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def driver(width=1440, height=1000, download_dir=None) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    # every request the page makes, so tests can assert none leaves 127.0.0.1
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    if download_dir:
        options.add_experimental_option("prefs", {
            "download.default_directory": download_dir, "download.prompt_for_download": False})
    return webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"),
                            options=options)


def requested_urls(browser) -> list[str]:
    """URLs the browser requested since the last call (Chrome's performance log)."""
    import json
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def login(browser, base, user, password="Demo@2026"):
    """Sign in and wait until the console has answered (a later get() would cancel it)."""
    browser.get(base + "/login/")
    browser.find_element(By.NAME, "username").send_keys(user)
    browser.find_element(By.NAME, "password").send_keys(password)
    form = browser.find_element(By.TAG_NAME, "form")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit], button[type=submit]").click()
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(form))


def main(base, user, outdir, *paths):
    os.makedirs(outdir, exist_ok=True)
    browser = driver()
    try:
        login(browser, base, user)
        for path in paths:
            browser.get(base + path)
            name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
            browser.save_screenshot(os.path.join(outdir, f"{user}_{name}.png"))
    finally:
        browser.quit()


if __name__ == "__main__":
    main(*sys.argv[1:])
