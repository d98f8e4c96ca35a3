#!/usr/bin/python3
"""The conflicts page's sync button in a real browser (Debian's chromium through python3-selenium).

Run by Tests/CLITests/ReaderBrowserTests.swift, which starts a real hub and the real `kb open` on a
replica with the remote `origin`, and passes:

    sync_test.py --url URL [--expect-failure]

Opens /conflicts, clicks the sync button, and follows it: the line beside the button while it runs,
then the result. Prints every step the page lists (`step: …`), every text seen in the status line
(`seen: …`) and the result (`result: …`), then PASS.
"""
import argparse
import time

from browser import check, fail, start_chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--expect-failure", action="store_true")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    options = parser.parse_args()
    driver = start_chromium(options.chromedriver)
    wait = WebDriverWait(driver, 60)
    try:
        base, query = options.url.split("?", 1)
        driver.get(base.rstrip("/") + "/conflicts?" + query)
        button = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-action="sync"]')))
        check(button.text.startswith("Sync with origin"), f"the sync button names the remote ({button.text!r})")
        button.click()
        seen = []
        deadline = time.time() + 120
        state = ""
        while time.time() < deadline:
            state, text, disabled = driver.execute_script(
                "const s = document.querySelector('#sync');"
                "return [s.dataset.state || '', document.querySelector('#sync-result').textContent,"
                " document.querySelector('[data-action=\"sync\"]').disabled];")
            if not seen or seen[-1] != text:
                seen.append(text)
            if state in ("done", "failed"):
                break
            time.sleep(0.02)
        for text in seen:
            print("seen: " + text, flush=True)
        steps = driver.execute_script(
            "return Array.from(document.querySelectorAll('#sync-steps li')).map(li => li.textContent);")
        for step in steps:
            print("step: " + step, flush=True)
        result = driver.find_element(By.CSS_SELECTOR, "#sync-result").text
        print("result: " + result, flush=True)
        check(state == ("failed" if options.expect_failure else "done"), f"the sync ended ({state!r})")
        check(not driver.find_element(By.CSS_SELECTOR, '[data-action="sync"]').get_property("disabled"),
              "the button can be pressed again")
        check(driver.find_element(By.CSS_SELECTOR, "#sync-progress").get_property("hidden"),
              "the progress bar is gone")
    finally:
        driver.quit()
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
