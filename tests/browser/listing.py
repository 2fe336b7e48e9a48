"""The listing page in a real browser (Debian's chromium driven by Playwright), against a
`netlab web DIR --upload --mkdir --delete --archives --auth ann:pw --auth-for write` the Rust test
(tests/it/web_browser.rs) started: upload two files through the form, sort by size, follow the
parent link and the breadcrumbs, filter the rows, make and delete a folder, download the folder
as a tar.gz, log in through the auth prompt, the form without
JavaScript, and screenshots at phone and desktop width, light and dark.

    python listing.py BASE_URL SCREENSHOT_DIR

Exits non-zero (an assertion's traceback on stderr) when the page does not do what it says.
"""

import os
import re
import shutil
import sys
import tarfile

from playwright.sync_api import sync_playwright

BASE, SHOTS = sys.argv[1], sys.argv[2]
CREDENTIALS = {"username": "ann", "password": "pw"}


def step(text):
    print("ok:", text, flush=True)


def names(page):
    """The names in the listing's rows, in order (the parent link left out)."""
    links = page.locator("tbody tr td:first-child a").all_inner_texts()
    return [name for name in links if name != "../"]


def upload_two(browser):
    context = browser.new_context(http_credentials=CREDENTIALS)
    page = context.new_page()
    page.goto(BASE + "sub/")
    page.set_input_files(
        "#upload input[type=file]",
        [
            {"name": "first.txt", "mimeType": "text/plain", "buffer": b"first file\n"},
            {"name": "second.bin", "mimeType": "application/octet-stream", "buffer": bytes(range(256)) * 400},
        ],
    )
    with page.expect_navigation():
        page.click("#upload button")
    listed = names(page)
    assert "first.txt" in listed and "second.bin" in listed, listed
    step("two files uploaded through the form are listed")

    page.click("thead a:has-text('Size')")
    page.wait_for_url(re.compile(r"sort=size&order=asc"))
    files = [n for n in names(page) if not n.endswith("/")]
    assert files == ["small.txt", "first.txt", "mid.txt", "second.bin"], files
    page.click("thead a:has-text('Size')")
    page.wait_for_url(re.compile(r"sort=size&order=desc"))
    files = [n for n in names(page) if not n.endswith("/")]
    assert files == ["second.bin", "mid.txt", "first.txt", "small.txt"], files
    step("the Size column head sorts by size, both ways")

    page.click("tbody a:text-is('../')")
    page.wait_for_url(BASE)
    assert "sub/" in names(page), names(page)
    step("the parent link leads back to the root")

    page.fill("#mkdir input[name=name]", "made here")
    with page.expect_navigation():
        page.click("#mkdir button")
    assert "made here/" in names(page), names(page)
    step("the new-folder form makes a folder")

    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator("tbody tr", has_text="made here/")
    with page.expect_navigation():
        row.locator("button.del").click()
    assert "made here/" not in names(page), names(page)
    step("a row's delete button removes it")

    page.goto(BASE + "sub/inner/")
    page.click("h1 a:text-is('sub/')")
    page.wait_for_url(BASE + "sub/")
    page.click("h1 a:text-is('/')")
    page.wait_for_url(BASE)
    step("the heading's breadcrumbs lead up, folder by folder")

    page.goto(BASE + "sub/")
    page.fill("#filter", "SEC")
    shown = [n for n in names(page) if page.locator("tbody tr", has_text=n).first.is_visible()]
    assert shown == ["second.bin"], shown
    page.fill("#filter", "")
    assert page.locator("tbody tr", has_text="small.txt").first.is_visible()
    step("the filter box hides the rows whose names do not match")

    with page.expect_download() as download:
        page.click("a[href*='download=tar.gz']")
    assert download.value.suggested_filename == "sub.tar.gz", download.value.suggested_filename
    saved = os.path.join(SHOTS, "sub.tar.gz")
    os.makedirs(SHOTS, exist_ok=True)
    download.value.save_as(saved)
    with tarfile.open(saved) as tar:
        members = tar.getnames()
    assert "sub/first.txt" in members and "sub/second.bin" in members, members
    step("the folder downloads as a tar.gz holding the uploads")
    context.close()


def auth_prompt(browser):
    # No credentials: reads are public, an upload is refused with the challenge (in the page,
    # the browser would now show its password prompt).
    context = browser.new_context()
    page = context.new_page()
    page.goto(BASE)
    assert "sub/" in names(page), names(page)
    refused = page.request.post(BASE, multipart={"file": {"name": "nope.txt", "mimeType": "text/plain", "buffer": b"x"}})
    assert refused.status == 401 and "www-authenticate" in refused.headers, refused.status
    context.close()
    # The prompt answered (Playwright's http_credentials): in.
    context = browser.new_context(http_credentials=CREDENTIALS)
    page = context.new_page()
    page.goto(BASE)
    page.set_input_files("#upload input[type=file]", [{"name": "authed.txt", "mimeType": "text/plain", "buffer": b"in\n"}])
    with page.expect_navigation():
        page.click("#upload button")
    assert "authed.txt" in names(page), names(page)
    context.close()
    step("an upload asks for the password, and gets in with it")


def without_javascript(browser):
    context = browser.new_context(java_script_enabled=False, http_credentials=CREDENTIALS)
    page = context.new_page()
    page.goto(BASE)
    assert not page.locator("button.del").first.is_visible()
    page.set_input_files("#upload input[type=file]", [{"name": "nojs.txt", "mimeType": "text/plain", "buffer": b"plain form\n"}])
    with page.expect_navigation():
        page.click("#upload button")
    page.wait_for_url(BASE)
    assert "nojs.txt" in names(page), names(page)
    step("without JavaScript the form still uploads (303 back), delete buttons stay hidden")


def screenshots(browser):
    os.makedirs(SHOTS, exist_ok=True)
    for width, height in [(390, 844), (1280, 800)]:
        for scheme in ["light", "dark"]:
            context = browser.new_context(
                viewport={"width": width, "height": height},
                color_scheme=scheme,
                device_scale_factor=1,
            )
            page = context.new_page()
            page.goto(BASE + "sub/")
            path = os.path.join(SHOTS, f"listing-{width}-{scheme}.png")
            page.screenshot(path=path, full_page=True)
            context.close()
    step("screenshots in " + SHOTS)


with sync_playwright() as p:
    chromium = os.environ.get("NETLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    upload_two(browser)
    auth_prompt(browser)
    without_javascript(browser)
    screenshots(browser)
    browser.close()
