"""What the browser tests share: their pass/fail lines and a headless chromium (Debian's, through
chromedriver and python3-selenium)."""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print("ok: " + message, flush=True)


def start_chromium(chromedriver):
    """A headless chromium with Chinese as its language, at a fixed window size."""
    chrome = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=zh-CN", "--no-first-run", "--disable-extensions"]:
        chrome.add_argument(argument)
    chrome.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service(chromedriver), options=chrome)
