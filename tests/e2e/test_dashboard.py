"""The dashboard at /ui in Debian's Chromium against the real stack: log in, upload through the
page and watch the jobs finish without a reload, open a grey output, see an FDL problem beside
its line, redrive a dead letter, a hostile key shown as text, a change without the CSRF token
refused. Screenshots of each page are taken on the way (tests/e2e/browser.py says where)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.e2e.browser import Dashboard, chromium, dashboard, login, texts
from tests.e2e.imaging import is_grey
from tests.e2e.project import ExamplesProject
from tests.support.waiting import wait_for

HOSTILE = "<img src=x onerror=alert(1)>.png"
FAILING = """name: ui-dead
image: oscar-examples/grayify:latest
memory: 256Mi
cpu: "0.5"
max_attempts: 1
script: |
  #!/bin/sh
  echo "failing on purpose" >&2
  exit 3
input:
  - storage_provider: minio.default
    path: ui-dead/in
output:
  - storage_provider: minio.default
    path: ui-dead/out
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def grayify(examples: ExamplesProject) -> ExamplesProject:
    examples.deploy("grayify")
    return examples


@pytest.fixture
def ui(browser: Browser, grayify: ExamplesProject, tmp_path: Path) -> Iterator[Dashboard]:
    with dashboard(browser, grayify.stack, tmp_path) as board:
        yield board


def folder() -> str:
    return f"in/ui-{uuid.uuid4().hex[:8]}/"


def files_page(bucket: str, prefix: str) -> str:
    return f"files/{bucket}/{quote(prefix, safe='')}"


def test_a_wrong_login_is_answered_with_a_message_and_no_session(
    browser: Browser, grayify: ExamplesProject
) -> None:
    context = browser.new_context()
    page = context.new_page()
    user = grayify.stack.status["openfaas"]["username"]

    login(page, grayify.stack.gateway_url, user=user, password="wrong")

    expect(page.locator("#login-error")).to_contain_text("Wrong user or password")
    assert context.cookies() == []
    context.close()


def test_after_login_the_services_page_lists_grayify(ui: Dashboard) -> None:
    expect(ui.page.locator('#services tr[data-service="grayify"]')).to_contain_text("grayify/in")
    expect(ui.page.locator('#services tr[data-service="grayify"]')).to_contain_text("succeeded")
    expect(ui.page.locator('#services tr[data-service="grayify"] td.state')).to_have_text("ready")
    ui.shot("dashboard-services")


def test_two_images_uploaded_through_the_page_reach_succeeded_without_a_reload(
    ui: Dashboard, grayify: ExamplesProject
) -> None:
    samples = sorted(grayify.example("grayify", "samples").iterdir())
    prefix = folder()
    ui.go(files_page("grayify", prefix))
    ui.page.wait_for_selector("#upload-files")
    ui.page.evaluate("window.sameDocument = true")

    ui.page.set_input_files("#upload-files", [str(s) for s in samples])
    ui.page.click("#upload")

    succeeded = ui.page.locator("#started-jobs tr[data-status=succeeded]")
    expect(succeeded).to_have_count(2)
    assert sorted(texts(ui.page, "#started-jobs td.key")) == [prefix + s.name for s in samples]
    assert ui.page.evaluate("window.sameDocument") is True, "the page was reloaded"
    expect(ui.page.locator("#uploads li .done")).to_have_count(2)
    ui.shot("dashboard-files")


def test_a_jobs_output_opened_from_its_page_is_grey(
    ui: Dashboard, grayify: ExamplesProject, tmp_path: Path
) -> None:
    ui.go("service/grayify/succeeded")
    ui.page.locator("#jobs tr[data-status=succeeded] td a").first.click()
    output = ui.page.locator("#job-detail .outputs a.view-output").first
    expect(output).to_be_visible()
    expect(ui.page.locator("#job-detail")).to_contain_text("Attempts")

    href = output.get_attribute("href")
    assert href is not None
    answer = ui.page.request.get(f"{ui.url}{href}")

    assert answer.status == 200
    (tmp_path / "out.png").write_bytes(answer.body())
    assert is_grey(tmp_path / "out.png")
    ui.shot("dashboard-jobs")


def test_a_hostile_key_is_shown_as_text_and_runs_nothing(
    ui: Dashboard, grayify: ExamplesProject
) -> None:
    prefix = folder()
    image = grayify.example("grayify", "samples", "sunset.png").read_bytes()
    grayify.stack.minio.put_object("grayify", prefix + HOSTILE, io.BytesIO(image), len(image))

    ui.go(files_page("grayify", prefix))
    expect(ui.page.locator("#objects td.key")).to_have_text([HOSTILE])
    ui.go("service/grayify")
    expect(ui.page.locator("#jobs td.key", has_text=HOSTILE)).to_have_count(1)

    assert ui.page.locator("img[src=x]").count() == 0
    assert ui.dialogs == [], "a key ran as markup"


def test_a_presigned_link_downloads_without_a_login_and_delete_removes_the_object(
    ui: Dashboard, grayify: ExamplesProject
) -> None:
    prefix = "in/ui-kept/"  # grayify takes .png and .jpg only: a text file makes no job
    grayify.stack.minio.put_object("grayify", prefix + "note.txt", io.BytesIO(b"hello"), 5)
    ui.go(files_page("grayify", prefix))
    row = ui.page.locator('#objects tr[data-key="in/ui-kept/note.txt"]')

    row.get_by_role("button", name="Presigned link").click()
    link = ui.page.locator("#presigned input.presigned-url").input_value()
    fetched = requests.get(link, timeout=10)
    row.get_by_role("button", name="Delete").click()

    assert fetched.status_code == 200 and fetched.content == b"hello"
    expect(row).to_have_count(0)
    assert ui.dialogs == ["confirm: Delete grayify/in/ui-kept/note.txt?"]
    assert not list(grayify.stack.minio.list_objects("grayify", prefix=prefix))


def test_a_change_without_the_csrf_token_is_refused(ui: Dashboard) -> None:
    url = f"{ui.url}/system/services/grayify/replay?dead=true"

    refused = ui.page.request.post(url)
    accepted = ui.page.request.post(url, headers={"X-CSRF-Token": ui.csrf()})

    assert refused.status == 403, refused.text()
    assert "CSRF" in refused.json()["error"]
    assert accepted.status == 202, accepted.text()


def test_an_fdl_problem_is_shown_beside_its_line(ui: Dashboard) -> None:
    ui.go("fdl")
    text = FAILING.replace("memory: 256Mi", "memory: lots").replace("ui-dead/out", "x/out")
    lines = text.splitlines()

    ui.page.fill("#fdl-text", text)
    ui.page.click("#fdl-check")

    memory = ui.page.locator('#fdl-notes .note[data-path="memory"]')
    expect(memory).to_contain_text("expected a quantity")
    assert memory.get_attribute("data-line") == str(lines.index("memory: lots") + 1)
    output = ui.page.locator('#fdl-notes .note[data-path="output[0].path"]')
    expect(output).to_contain_text("not a bucket name")
    assert output.get_attribute("data-line") == str(lines.index("    path: x/out") + 1)
    expect(ui.page.locator(".gutter .bad")).to_have_count(2)
    ui.shot("dashboard-fdl")


def test_a_dead_letter_redriven_from_the_page_runs_again(
    ui: Dashboard, grayify: ExamplesProject
) -> None:
    stack = grayify.stack
    ui.go("fdl")
    ui.page.fill("#fdl-text", FAILING)
    ui.page.click("#fdl-save")
    expect(ui.page.locator("#fdl-outcome")).to_contain_text("Service ui-dead created")
    wait_for(lambda: stack.describe("ui-dead").get("Status") == "Ready", timeout=60,
             what="ui-dead ready")  # fmt: skip
    stack.minio.put_object("ui-dead", "in/note.txt", io.BytesIO(b"hello"), 5)

    ui.go("service/ui-dead")
    letter = ui.page.locator("#dead-letters tr")
    expect(letter).to_have_count(1)
    expect(letter).to_contain_text("in/note.txt")
    job_id = letter.get_attribute("data-job")
    letter.locator("button").click()
    expect(ui.page.locator("#flash")).to_contain_text("1 dead letter(s) queued again")

    def tried_twice() -> dict[str, Any] | None:
        answer = stack.gateway.get(f"{stack.gateway_url}/system/jobs/ui-dead/{job_id}", timeout=10)
        job: dict[str, Any] = answer.json()
        return job if job["status"] == "dead" and len(job["history"]) == 2 else None

    job = wait_for(tried_twice, timeout=90, what="the redriven job's second attempt")
    assert "failing on purpose" in job["log_tail"]
    expect(ui.page.locator("#dead-letters tr")).to_have_count(1)


def test_a_service_deleted_from_the_services_page_after_a_confirmation_is_gone(
    ui: Dashboard, grayify: ExamplesProject
) -> None:
    stack = grayify.stack
    row = ui.page.locator('#services tr[data-service="ui-dead"]')
    expect(row).to_have_count(1)  # created by the dead letter's test

    row.get_by_role("button", name="Delete").click()

    expect(ui.page.locator("#flash")).to_contain_text("Service ui-dead deleted")
    expect(row).to_have_count(0)
    assert ui.dialogs == ["confirm: Delete service ui-dead? Its buckets and objects stay."]
    names = [s["name"] for s in stack.gateway.get(f"{stack.gateway_url}/system/services").json()]
    assert "ui-dead" not in names and "grayify" in names


def test_a_file_run_from_the_page_comes_back_grey(ui: Dashboard, grayify: ExamplesProject) -> None:
    ui.go("run/grayify")
    ui.page.set_input_files("#run-file", str(grayify.example("grayify", "samples", "sunset.png")))

    ui.page.click("#run")

    expect(ui.page.locator("#run-answer img.preview")).to_be_visible()
    expect(ui.page.locator("#run-answer")).to_contain_text("HTTP 200 · image/png")
    ui.shot("dashboard-run")


def test_the_activity_page_charts_the_last_hours_jobs(ui: Dashboard) -> None:
    ui.go("activity/grayify")

    expect(ui.page.locator("#activity-total")).to_contain_text("job(s) in the last hour")
    assert ui.page.locator("#charts rect[data-status=succeeded]").count() >= 1
    ui.shot("dashboard-activity")
