#!/usr/bin/python3
"""How long chromium takes to draw the reader page: `reader_draw.py URL RUNS` prints JSON.

Loads the URL (the reader page of the benchmark's long article) RUNS times in headless chromium
(Debian's chromium, chromium-driver, python3-selenium) and reports, per load, the milliseconds from
the start of navigation to the end of the page's drawing (`data-drawn-ms`, set once every highlight
is drawn), and to the load event.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, runs = sys.argv[1], int(sys.argv[2])
options = webdriver.ChromeOptions()
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000"]:
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
drawn, loaded, marks = [], [], 0
try:
    driver.get(url)  # sets the cookie; the first load is a warm-up
    for _ in range(runs):
        driver.refresh()
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "body[data-drawn-ms]"))
        drawn.append(float(driver.find_element(By.CSS_SELECTOR, "body").get_attribute("data-drawn-ms")))
        loaded.append(driver.execute_script(
            "const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd || t.duration;"))
        marks = driver.execute_script("return document.querySelectorAll('mark[data-highlight]').length;")
finally:
    driver.quit()
print(json.dumps({"drawn_ms": drawn, "loaded_ms": loaded, "marks": marks}))
