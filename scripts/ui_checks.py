"""The web UI in headless Chromium: sign up as the first admin, create a knowledge base, upload a PDF and a
Markdown file, wait until ready, ask, see the streamed answer, open a citation, stop a stream, escape a
hostile title, fit 375 px, sign out. A screenshot of every step goes to SCREENS.
    ui_checks.py BASE SCREENS"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

base, screens = sys.argv[1], sys.argv[2]
os.makedirs(screens, exist_ok=True)
fixtures = os.path.join(os.path.dirname(__file__), "..", "Tests", "HyperionExtractTests", "Fixtures")
failures, step = [], [0]

options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)
# Lists re-render after each change, so an element read in a wait may be replaced meanwhile: read again.
wait = WebDriverWait(driver, 60, ignored_exceptions=(StaleElementReferenceException,))


def shot(name):
    step[0] += 1
    driver.save_screenshot(os.path.join(screens, f"{step[0]:02d}-{name}.png"))


def check(name, condition, detail=""):
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else f"  {str(detail)[:300]}"))
    if not condition:
        failures.append(name)
        shot("FAIL-" + name.replace(" ", "-")[:40])


def find(css):
    return wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def api(method, path, body=None):
    token = json.loads(driver.execute_script("return sessionStorage.getItem('hyperion.tokens')"))["access_token"]
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


try:
    # Sign up: an empty install offers to create the admin account.
    driver.get(base + "/")
    find("#auth-form")
    check("an empty install offers to create the admin account", "Create the admin account" in driver.find_element(By.ID, "auth-title").text)
    shot("first-run")
    driver.find_element(By.ID, "email").send_keys("admin@example.com")
    driver.find_element(By.ID, "password").send_keys("correct horse battery")
    driver.find_element(By.ID, "signin").click()
    find("#create-model-form")
    wait.until(lambda d: "admin@example.com" in d.find_element(By.ID, "whoami").text)
    check("signed in lands on the knowledge bases", driver.current_url.rstrip("/").endswith("/ui"), driver.current_url)

    # Create a knowledge base and upload a PDF and a Markdown file with per-file progress.
    driver.find_element(By.ID, "model-name").send_keys("Reports")
    driver.find_element(By.ID, "create-model").click()
    find("#dropzone")
    wait.until(lambda d: d.find_element(By.ID, "model-title").text == "Reports")
    markdown = os.path.join(screens, "..", "notes.md")
    with open(markdown, "w") as f:
        f.write("# Field notes\n\nThe heat pump in building C was replaced in March because its compressor failed.\n")
    hostile = os.path.join(screens, "..", "hostile.html")
    with open(hostile, "w") as f:
        f.write("<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt;</title></head><body><p>A hostile title.</p></body></html>")
    driver.find_element(By.ID, "file-input").send_keys("\n".join(os.path.abspath(p) for p in
                                                                (os.path.join(fixtures, "two-pages.pdf"), markdown, hostile)))
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#upload-list li")) == 3)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#documents td.status.ready")) == 3)
    shot("documents-ready")
    rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#documents tbody tr")]
    check("the three documents are listed as ready", len(rows) == 3 and any("Quarterly Report" in r for r in rows), rows)
    check("a hostile title shows as text", any("<script>alert(1)</script>" in r for r in rows), rows)
    try:
        driver.switch_to.alert
        check("no script ran from a title", False)
    except NoAlertPresentException:
        check("no script ran from a title", True)

    # Settings: change retrieval and sharing; a new chunk size asks for training, which rebuilds the index.
    driver.find_element(By.CSS_SELECTOR, "#settings summary").click()
    topk = find("#s-topk")
    wait.until(lambda d: d.find_element(By.ID, "s-name").get_attribute("value") == "Reports")
    topk.clear()
    topk.send_keys("3")
    Select(driver.find_element(By.ID, "s-visibility")).select_by_value("shared")
    size = driver.find_element(By.ID, "s-size")
    size.clear()
    size.send_keys("120")
    driver.find_element(By.ID, "save-settings").click()
    wait.until(lambda d: "train" in d.find_element(By.ID, "settings-status").text)
    model_id = driver.find_element(By.ID, "model-page").get_attribute("data-model-id")
    saved = api("GET", f"/api/v1/models/{model_id}")
    check("settings are saved", saved["retrieval"]["top_k"] == 3 and saved["visibility"] == "shared"
          and saved["chunking"]["size_tokens"] == 120 and saved["status"] == "needs_training", saved)
    shot("settings")
    driver.find_element(By.ID, "train").click()
    wait.until(lambda d: "succeeded" in d.find_element(By.ID, "job-progress").text)
    wait.until(lambda d: "· ready ·" in d.find_element(By.ID, "model-meta").text)
    check("training from the page rebuilds the index", api("GET", f"/api/v1/models/{model_id}")["status"] == "ready")

    # Ask: the streamed answer, with a citation that opens the right passage and page.
    driver.find_element(By.ID, "open-chat").click()
    find("#ask-form")
    wait.until(lambda d: Select(d.find_element(By.ID, "model-select")).first_selected_option.text == "Reports")
    driver.find_element(By.ID, "question").send_keys("Which page talks about costs?")
    driver.find_element(By.ID, "ask").click()
    citation = find(".message.assistant button.citation")
    answer = driver.find_elements(By.CSS_SELECTOR, ".message.assistant .content")[-1].text
    check("the answer streams in, quoting the passage", "costs" in answer, answer)
    shot("answer")
    citation.click()
    wait.until(EC.visibility_of_element_located((By.ID, "source-panel")))
    title = driver.find_element(By.ID, "source-title").text
    page = driver.find_element(By.ID, "source-page").text
    passage = driver.find_element(By.ID, "source-text").text
    check("the citation opens the cited passage with title and page", title == "Quarterly Report" and page == "Page 2" and "costs" in passage,
          (title, page, passage))
    shot("citation")
    sessions = driver.find_elements(By.CSS_SELECTOR, "#sessions button")
    check("the conversation appears in the sidebar", len(sessions) == 1 and "costs" in sessions[0].text, [s.text for s in sessions])

    # Stop a stream: a knowledge base answered by a slow LLM.
    slow = api("POST", "/api/v1/models", {"name": "Slow", "llm": {"provider": "standin"}})
    driver.get(base + f"/ui/chat?model={slow['id']}")
    find("#ask-form")
    wait.until(lambda d: Select(d.find_element(By.ID, "model-select")).first_selected_option.text == "Slow")
    driver.find_element(By.ID, "question").send_keys("Tell me everything")
    driver.find_element(By.ID, "ask").click()
    wait.until(lambda d: "tick" in d.find_elements(By.CSS_SELECTOR, ".message.assistant .content")[-1].text)
    driver.find_element(By.ID, "stop").click()
    find(".message.assistant.stopped")
    stopped = driver.find_elements(By.CSS_SELECTOR, ".message.assistant .content")[-1].text
    time.sleep(1)
    later = driver.find_elements(By.CSS_SELECTOR, ".message.assistant .content")[-1].text
    check("Stop ends the stream", "(stopped)" in stopped and later == stopped, (stopped[-60:], later[-60:]))
    status = None
    for _ in range(30):
        status = api("GET", f"/api/v1/queries?model_id={slow['id']}")["items"][0]["status"]
        if status == "cancelled":
            break
        time.sleep(0.2)
    check("the stopped query is stored as cancelled", status == "cancelled", status)
    shot("stopped")

    # History: the questions asked, each opening its answer.
    driver.get(base + "/ui/history")
    entry = find("#history li button")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history li")) == 2)
    questions = [b.text for b in driver.find_elements(By.CSS_SELECTOR, "#history li button")]
    check("history lists the questions, newest first", questions == ["Tell me everything", "Which page talks about costs?"], questions)
    driver.find_elements(By.CSS_SELECTOR, "#history li button")[1].click()
    wait.until(lambda d: "costs" in d.find_element(By.CSS_SELECTOR, "#history .answer").text)
    check("a history entry opens its answer and citations", "Quarterly Report, page 2" in driver.find_element(By.CSS_SELECTOR, "#history .answer").text)
    shot("history")

    # API keys: created, shown once, listed by prefix, usable, revoked.
    driver.get(base + "/ui/keys")
    find("#create-key-form")
    driver.find_element(By.ID, "key-name").send_keys("nightly import")
    driver.find_element(By.ID, "create-key").click()
    wait.until(EC.visibility_of_element_located((By.ID, "new-key-box")))
    key = driver.find_element(By.ID, "new-key").text
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#keys tbody tr")) == 1)
    row = driver.find_element(By.CSS_SELECTOR, "#keys tbody tr").text
    check("a new key is shown once and listed by its prefix", key.startswith("hyp_") and key[:8] in row and key not in row, (key[:8], row))
    shot("keys")
    with urllib.request.urlopen(urllib.request.Request(base + "/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"})) as r:
        check("the key works", r.status == 200)
    driver.find_element(By.CSS_SELECTOR, "#keys tbody tr button").click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#keys tbody tr"))
    try:
        urllib.request.urlopen(urllib.request.Request(base + "/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"}))
        check("a revoked key stops working", False)
    except urllib.error.HTTPError as e:
        check("a revoked key stops working", e.code == 401, e.code)

    # Admin: status, users (disable one), audit log.
    other = api("POST", "/api/v1/users", {"email": "bob@example.com", "password": "bob-password-1", "role": "user"})
    driver.get(base + "/ui/admin")
    wait.until(EC.visibility_of_element_located((By.ID, "admin-body")))
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#users tbody tr")) == 2)
    # The status list fills after several requests (the LLM is probed), independently of the users table.
    try:
        wait.until(lambda d: "index " in d.find_element(By.ID, "status").text)
    except Exception:
        pass
    statuses = driver.find_element(By.ID, "status").text
    check("the admin page shows the system status", "store: ok" in statuses and "LLM standin (openai): reachable" in statuses
          and "index Reports: 3 documents" in statuses, statuses)
    driver.find_element(By.CSS_SELECTOR, f'#users tr[data-user-id="{other["id"]}"] input[type=checkbox]').click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'#users tr[data-user-id="{other["id"]}"] input[type=checkbox]').is_selected())
    check("disabling a user from the admin page", api("GET", f"/api/v1/users/{other['id']}")["is_disabled"] is True)
    wait.until(lambda d: "login" in d.find_element(By.ID, "audit").text)
    check("the audit log lists sign-ins", "admin@example.com" in driver.find_element(By.ID, "audit").text)
    shot("admin")

    # Narrow screens: nothing overflows at 375 px.
    driver.set_window_size(375, 800)
    driver.get(base + "/ui/chat")
    find("#ask-form")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check("the chat fits a 375 px screen", width <= 375, width)
    shot("narrow")
    driver.set_window_size(1280, 900)

    # Sign out: back at the sign-in page, and app pages send there.
    driver.get(base + "/ui/")
    find("#signout").click()
    find("#auth-form")
    check("sign out returns to sign in", driver.find_element(By.ID, "auth-title").text == "Sign in")
    driver.get(base + "/ui/chat")
    find("#auth-form")
    check("app pages need a signed-in user", "/ui/login" in driver.current_url, driver.current_url)
    csp = urllib.request.urlopen(base + "/ui/login").headers.get("Content-Security-Policy", "")
    check("pages carry a strict CSP without inline script or style", "script-src 'self'" in csp and "unsafe-inline" not in csp, csp)
    logs = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "401" not in e["message"]]
    check("no errors in the browser console", not logs, logs)
except TimeoutException as e:
    check("page reacted in time", False, repr(e))
finally:
    if failures:
        shot("final")
    driver.quit()
sys.exit(1 if failures else 0)
