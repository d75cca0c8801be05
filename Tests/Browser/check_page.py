"""Opens a page in Debian's Chromium through Playwright and reports, as JSON on standard output, what the
browser did: every request it made, the images it drew, the direction of the Arabic part, and the console
messages. Used by the Swift tests (no browser is downloaded: Playwright drives /usr/bin/chromium).

Usage: check_page.py URL
"""
import json
import os
import sys

from playwright.sync_api import sync_playwright


def main() -> None:
    url = sys.argv[1]
    requests = []
    console = []
    with sync_playwright() as playwright:
        arguments = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=arguments)
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: console.append(message.text))
        page.goto(url)
        page.wait_for_load_state("load")
        images = page.evaluate(
            "Array.from(document.images).map(i => ({complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))")
        arabic = page.evaluate(
            "(() => { const s = document.querySelector('section[lang=ar]'); return s ? getComputedStyle(s).direction : null })()")
        scripts = page.evaluate("document.scripts.length")
        browser.close()
    print(json.dumps({"requests": requests, "images": images, "arabicDirection": arabic, "scripts": scripts, "console": console}))


if __name__ == "__main__":
    main()
