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


def driver() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"),
                            options=options)


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
