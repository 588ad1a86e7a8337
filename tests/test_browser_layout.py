# ruff: noqa: F811
"""Layout in real Chromium (issue 22): forms fit a 390 px phone without sideways
scrolling, the English navbar stays on one line at 1440 px, and the permission matrix
shows its 其他 column and no untranslated permission names."""
import pytest

from tests.test_browser import chrome, live_url, sign_in  # noqa: F401

PHONE_FORMS = {  # a form of every family, as each writer opens it
    "clerk1": ["/customerview/add", "/contactview/add", "/transactionview/add",
               "/complaintview/add", "/visitrecordview/add", "/receptionview/add",
               "/servicerequestview/add", "/satisfactionsurveyview/add",
               "/gradeevaluationview/add", "/improvementmeasureview/add"],
    "supervisor1": ["/visitplanview/add", "/developmentplanview/add"],
    "admin": ["/users/add", "/workdayoverrideview/add"],
}


def overflow(chrome) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scroll)."""
    return chrome.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("username", PHONE_FORMS)
def test_forms_fit_a_phone_without_sideways_scrolling(chrome, live_url, username):
    chrome.set_window_size(390, 844)
    try:
        sign_in(chrome, live_url, username)
        for path in PHONE_FORMS[username]:
            chrome.get(live_url + path)
            assert chrome.execute_script("return window.innerWidth") <= 400
            assert overflow(chrome) <= 0, path
    finally:
        chrome.set_window_size(1440, 900)


def test_english_navbar_is_one_line_at_1440(chrome, live_url):
    chrome.set_window_size(1440, 900)
    for username in ("admin", "supervisor1", "clerk1"):
        sign_in(chrome, live_url, username)
        chrome.get(live_url + "/lang/en")
        chrome.get(live_url + "/")
        tops = chrome.execute_script(
            "return Array.from(document.querySelectorAll('.navbar .navbar-nav > li'))"
            ".filter(li => li.offsetParent).map(li => li.getBoundingClientRect().top)")
        assert tops and max(tops) - min(tops) < 5, (username, tops)
        chrome.get(live_url + "/lang/zh")


def test_permission_matrix_shows_its_other_column_in_chinese(chrome, live_url):
    chrome.set_window_size(1440, 900)
    sign_in(chrome, live_url, "admin")
    chrome.get(live_url + "/lang/zh")
    chrome.get(live_url + "/permission_matrix/")
    right, width = chrome.execute_script(
        "const th = Array.from(document.querySelectorAll('table thead th'))"
        ".find(t => t.textContent.trim() === '其他');"
        "return [th.getBoundingClientRect().right, window.innerWidth]")
    assert right <= width
    text = chrome.find_element("tag name", "body").text
    for english in ("unlock", "Chart", "can_"):
        assert english not in text
