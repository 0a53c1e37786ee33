"""Shared by the browser test files: stop the one Chromium they share (test_site.py)."""


def pytest_sessionfinish(session, exitstatus):
    import sys

    site = sys.modules.get("test_site")
    if site is not None:
        site.stop_shared_browser()
