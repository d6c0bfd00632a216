"""Check the built HTML reference in a real browser: every page fits 1280 px and is not huge.

    python docs/check_pages.py docs/_build/html [--width 1280] [--max-kb 300] [--screenshot P]

Each ``*.html`` page is opened in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium) with a viewport ``--width`` pixels wide, and fails when

* the page scrolls sideways (``document.documentElement.scrollWidth`` > the width), or a table
  is wider than its column (it would need its own sideways scroll bar), or
* its HTML is over ``--max-kb`` kilobytes.

Code blocks may scroll inside their box (a long line of code stays one line); their count is
printed. When Chromium is missing it is installed with ``apt-get`` (as root, as CI runs); only
when apt itself is unavailable is the check skipped, saying so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

#: Run in each page: the page's width and what sticks out of it.
MEASURE = """
const width = window.innerWidth;
const tables = [...document.querySelectorAll('article table')]
    .filter(t => t.parentElement && t.scrollWidth > t.parentElement.clientWidth + 1)
    .map(t => (t.querySelector('caption') || t).textContent.trim().slice(0, 60));
const scrollers = [...document.querySelectorAll('article pre')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).length;
const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest('pre, .table-wrapper'))
    .slice(0, 3).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 60));
return {scrollWidth: document.documentElement.scrollWidth, width: width,
        tables: tables, scrollers: scrollers, wide: wide};
"""


def ensure_browser() -> bool:
    """Chromium and its driver are there (installed with apt-get if need be); False: skip."""
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return True
    if shutil.which("apt-get") is None:
        print("docs check SKIPPED: no chromium/chromedriver and no apt-get to install them")
        return False
    print("docs check: installing chromium and chromium-driver with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
    ):
        if subprocess.run(command, env=env).returncode != 0:
            sys.exit(f"docs check: {' '.join(command)} failed (root is needed to install)")
    return True


def open_browser(width: int) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},900",
        "--hide-scrollbars",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # The viewport itself (not the window) is exactly ``width`` CSS pixels wide.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("html", type=Path, help="the built HTML directory")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--max-kb", type=int, default=300)
    parser.add_argument("--screenshot", help="page to screenshot (relative path, #anchor optional)")
    parser.add_argument("--out", type=Path, help="where to save the screenshot")
    args = parser.parse_args()

    pages = sorted(p for p in args.html.rglob("*.html") if "_static" not in p.parts)
    if not pages:
        sys.exit(f"docs check: no HTML pages under {args.html}")
    problems = []
    for page in pages:
        kb = page.stat().st_size / 1000
        if kb > args.max_kb:
            problems.append(f"{page.relative_to(args.html)}: {kb:.0f} KB > {args.max_kb} KB")
    if not ensure_browser():
        print(f"{len(pages)} pages, largest {max(p.stat().st_size for p in pages) / 1000:.0f} KB")
        return 1 if problems else 0

    driver = open_browser(args.width)
    try:
        scrollers = 0
        for page in pages:
            name = page.relative_to(args.html).as_posix()
            driver.get(page.resolve().as_uri())
            seen = driver.execute_script(MEASURE)
            scrollers += seen["scrollers"]
            if seen["width"] != args.width:
                problems.append(f"{name}: viewport {seen['width']} px, not {args.width}")
            if seen["scrollWidth"] > args.width:
                problems.append(
                    f"{name}: {seen['scrollWidth']} px wide at {args.width} px: {seen['wide']}"
                )
            problems += [f"{name}: table wider than its column: {t!r}" for t in seen["tables"]]
            shot, _, anchor = (args.screenshot or "").partition("#")
            if shot == name:
                if anchor:
                    driver.execute_script(
                        "document.documentElement.style.scrollBehavior = 'auto';"
                        "document.getElementById(arguments[0]).scrollIntoView();",
                        anchor,
                    )
                driver.save_screenshot(str(args.out or Path(name).with_suffix(".png").name))
    finally:
        driver.quit()
    largest = max(pages, key=lambda p: p.stat().st_size)
    print(
        f"docs check: {len(pages)} pages at {args.width} px; largest "
        f"{largest.relative_to(args.html)} {largest.stat().st_size / 1000:.0f} KB; "
        f"{scrollers} code blocks scroll inside their box"
    )
    for problem in problems:
        print("  FAIL", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
