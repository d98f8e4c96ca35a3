#!/usr/bin/python3
"""The reader in a real browser: Debian's chromium driven by chromedriver through python3-selenium.

Run by Tests/CLITests/ReaderBrowserTests.swift, which starts the real `kb open` and passes:

    reader_test.py --url URL --kb KB --db DB --article ID --passage START END --screenshot PNG

Selects the passage (code points START..END of the article's body) with a real selection, highlights
it, writes a note, checks through `kb notes --json` that the quote and range are exact, reloads, edits
the article with `kb edit`, reloads, and deletes the highlight from the reader; then checks the
reader's refusals over plain HTTP. Prints one line per step, and the screenshot's path.
"""
import argparse
import http.client
import json
import subprocess
import time
import urllib.parse

from browser import check, fail, start_chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def kb(args, options):
    result = subprocess.run([options.kb] + args + ["--db", options.db], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        fail(f"kb {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def notes(options):
    return json.loads(kb(["notes", "--json"], options))


def article_body(options):
    return json.loads(kb(["show", options.article, "--json"], options))["body"]


SELECT_JS = """
// Selects code points [start, end) of the body: finds the text node and UTF-16 offset of each end
// from the paragraphs' data-start, then makes a real selection with setBaseAndExtent and mouse events.
const [start, end] = arguments;
function point(offset, isEnd) {
  for (const p of document.querySelectorAll('[data-kb-body] [data-start]')) {
    const first = +p.dataset.start;
    const length = Array.from(p.textContent).length;
    if (offset < first || offset > first + length || (!isEnd && offset === first + length)) continue;
    if (isEnd && offset === first && first !== 0) continue;
    let left = offset - first;
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const points = Array.from(node.data);
      if (left <= points.length) return [node, points.slice(0, left).join('').length];
      left -= points.length;
    }
  }
  return null;
}
const a = point(start, false), b = point(end, true);
if (!a || !b) return 'no point';
const first = a[0].parentElement;
const rect = first.getBoundingClientRect();
const options = {bubbles: true, cancelable: true, view: window, clientX: rect.left + 2, clientY: rect.top + 2, button: 0};
first.dispatchEvent(new MouseEvent('mousedown', options));
window.getSelection().setBaseAndExtent(a[0], a[1], b[0], b[1]);
first.dispatchEvent(new MouseEvent('mouseup', options));
return window.getSelection().toString();
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--kb", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--article", required=True)
    parser.add_argument("--passage", nargs=2, type=int, required=True)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    options = parser.parse_args()
    start, end = options.passage
    body = article_body(options)
    quote = body[start:end]  # Python indexes strings by code point, as kb does
    check("\n" in quote and any(ord(c) > 0xFFFF for c in body[:start]),
          "the passage crosses a paragraph break and follows characters beyond the BMP")

    driver = start_chromium(options.chromedriver)
    wait = WebDriverWait(driver, 20)
    try:
        reader(driver, wait, options, start, end, quote)
    finally:
        driver.quit()
    refusals(options)
    print("PASS", flush=True)


def panel_ids(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('[data-annotation-id]')).map(n => n.dataset.annotationId);")


def marked_text(driver, annotation):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('mark[data-highlight=\"' + arguments[0] + '\"]'))"
        ".map(m => m.textContent).join('');", annotation)


def first_mark_offset(driver, annotation):
    """The code-point offset of the highlight's first character, computed from data-start as the contract says."""
    return driver.execute_script("""
        const mark = document.querySelector('mark[data-highlight="' + arguments[0] + '"]');
        if (!mark) return null;
        const p = mark.closest('[data-start]');
        const range = document.createRange();
        range.setStart(p, 0); range.setEndBefore(mark);
        return +p.dataset.start + Array.from(range.toString()).length;""", annotation)


def reader(driver, wait, options, start, end, quote):
    article_url = options.url.split("?")[0].rstrip("/") + "/read/" + options.article + "?" + options.url.split("?")[1]
    driver.get(article_url)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-kb-body] [data-start]")))
    check("key=" not in driver.current_url, "the secret left the address bar for a cookie")
    cookies = driver.get_cookies()
    check(any(c.get("httpOnly") and c.get("sameSite") == "Strict" for c in cookies),
          "the secret is kept in an HttpOnly, SameSite=Strict cookie")

    selected = driver.execute_script(SELECT_JS, start, end)
    check(selected.replace("\n", "") == quote.replace("\n", ""), f"the selection holds the passage ({selected!r})")
    button = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, '[data-action="highlight"]')))
    button.click()
    textarea = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, 'textarea[name="note"]')))
    # chromedriver types characters of the BMP only; the quote carries 𠮷 and the emoji.
    note = "**要点**：全角ＡＢＣ and Latin\n\n- first\n- second"
    textarea.send_keys(note)
    driver.find_element(By.CSS_SELECTOR, '[data-action="save"]').click()
    wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, 'textarea[name="note"]')))

    made = [n for n in notes(options) if n["article_id"] == options.article and n["quote"] == quote]
    check(len(made) == 1, "kb notes --json shows one annotation with the exact quote, paragraph break included")
    annotation = made[0]
    check((annotation["start"], annotation["end"]) == (start, end),
          f"its range is the passage's code points {start}:{end} (got {annotation['start']}:{annotation['end']})")
    check(annotation["note"] == note, "its note is the Markdown written in the reader")
    rendered = driver.execute_script(
        "const li = document.querySelector('[data-annotation-id=\"' + arguments[0] + '\"]');"
        "return li ? li.querySelector('.note-text').innerHTML : '';", annotation["id"])
    check("<strong>要点</strong>" in rendered and "<li>first</li>" in rendered, "the note is rendered as Markdown")

    driver.refresh()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-kb-body] [data-start]")))
    check(panel_ids(driver).count(annotation["id"]) == 1, "after a reload the side panel lists the highlight once")
    check(marked_text(driver, annotation["id"]) == quote.replace("\n", ""),
          "after a reload the highlight covers the passage once")
    check(first_mark_offset(driver, annotation["id"]) == start, "the drawn highlight starts at its code-point offset")

    # The article is edited from the command line: text goes in before the passage.
    body = article_body(options)
    inserted = "编者按：新加的一句话，含𠀀与🎉。\n\n"
    with open(options.db + ".edit.txt", "w", encoding="utf-8") as file:
        file.write(inserted + body)
    kb(["edit", options.article, "--body-file", options.db + ".edit.txt"], options)
    moved = [n for n in notes(options) if n["id"] == annotation["id"]][0]
    shift = len(inserted)
    check((moved["start"], moved["end"], moved["state"]) == (start + shift, end + shift, "anchored"),
          "kb edit moved the annotation by the inserted code points")
    driver.refresh()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-kb-body] [data-start]")))
    check(marked_text(driver, annotation["id"]) == quote.replace("\n", ""), "after the edit the highlight follows the text")
    check(first_mark_offset(driver, annotation["id"]) == start + shift, "and starts at its new code-point offset")
    driver.save_screenshot(options.screenshot)
    print("screenshot: " + options.screenshot, flush=True)

    # The keyboard: select a few characters and press h.
    second = driver.execute_script(SELECT_JS, shift + 2, shift + 5)
    ActionChains(driver).send_keys("h").perform()
    wait.until(lambda d: len(panel_ids(d)) == 2)
    check(len([n for n in notes(options) if n["quote"] == second]) == 1, "h highlights the selection")
    check(any(ord(c) > 0xFFFF for c in second), "a selection holding 𠮷 is highlighted by its code points")

    # Delete from the reader: close the editor h opened, click the highlight, then delete in its editor.
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, 'textarea[name="note"]')))
    driver.find_element(By.CSS_SELECTOR, 'mark[data-highlight="' + annotation["id"] + '"]').click()
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, 'textarea[name="note"]')))
    check(driver.find_element(By.CSS_SELECTOR, 'textarea[name="note"]').get_attribute("value") == note,
          "clicking the highlight opens its note")
    driver.find_element(By.CSS_SELECTOR, '[data-action="delete"]').click()
    wait.until(lambda d: annotation["id"] not in panel_ids(d))
    check(all(n["id"] != annotation["id"] for n in notes(options)), "deleted in the reader, gone for the CLI")

    # The library lists the article with its note count; search as you type.
    driver.get(options.url.split("?")[0])
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '[data-article="' + options.article + '"] [data-notes]')))
    count = driver.find_element(By.CSS_SELECTOR, '[data-article="' + options.article + '"] [data-notes]')
    check(count.get_attribute("data-notes") == "1", "the library counts the article's notes")
    search = driver.find_element(By.CSS_SELECTOR, 'input[name="q"]')
    search.send_keys("编者按")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '.hit[data-article="' + options.article + '"] mark')))
    check(True, "search as you type finds the edited text, highlighted")


def request(options, method, path, headers=None, body=None):
    parsed = urllib.parse.urlparse(options.url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    connection.putrequest(method, path, skip_host=True)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    data = body.encode() if body is not None else None
    if data is not None:
        connection.putheader("Content-Length", str(len(data)))
    connection.endheaders(data)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, text


def refusals(options):
    parsed = urllib.parse.urlparse(options.url)
    secret = urllib.parse.parse_qs(parsed.query)["key"][0]
    host = f"127.0.0.1:{parsed.port}"
    cookie = f"kb_reader_{parsed.port}={secret}"
    status, _ = request(options, "GET", "/api/library", {"Host": host, "Cookie": cookie})
    check(status == 200, "the API answers with the secret")
    status, _ = request(options, "GET", "/api/library", {"Host": host})
    check(status == 403, "no secret: refused")
    status, _ = request(options, "GET", "/api/library", {"Host": host, "Cookie": f"kb_reader_{parsed.port}={'0' * 64}"})
    check(status == 403, "a wrong secret: refused")
    status, _ = request(options, "GET", "/api/library", {"Host": "attacker.example:" + str(parsed.port), "Cookie": cookie})
    check(status == 403, "a foreign Host header (DNS rebinding): refused")
    payload = json.dumps({"start": 0, "end": 2, "quote": "xx"})
    before = len(notes(options))
    status, _ = request(options, "POST", f"/api/articles/{options.article}/annotations",
                        {"Host": host, "Cookie": cookie, "Origin": "http://attacker.example",
                         "Content-Type": "application/json"}, payload)
    check(status == 403, "a cross-origin write: refused")
    status, _ = request(options, "POST", f"/api/articles/{options.article}/annotations",
                        {"Host": host, "Cookie": cookie, "Sec-Fetch-Site": "cross-site",
                         "Content-Type": "application/json"}, payload)
    check(status == 403, "a cross-site write: refused")
    status, _ = request(options, "GET", f"/api/articles/{options.article}/annotations", {"Host": host, "Cookie": cookie})
    check(status == 405, "a write by GET: refused")
    check(len(notes(options)) == before, "the refused writes changed nothing")


if __name__ == "__main__":
    main()
