"""The job page in a real browser: the progress bar moves to "done" by the served script alone
(no reload, no CSP violation), the file is offered; the registry's export button starts a job; the
jobs page fits a phone."""
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Job, User, utcnow
from huishang.services import jobs
from tests.browser import fits_the_phone, in_live, log_in, no_problems, pytestmark, tap_and_wait  # noqa: F401


def _running_job(live) -> str:
    def make():
        owner = db.session.scalar(select(User).where(User.username == live["regulator"]))
        job = jobs.create("registry.export", {"fmt": "csv"}, owner, total=10)
        job.status, job.done, job.message, job.heartbeat_at = "running", 4, "正在导出", utcnow()
        db.session.commit()
        return job.id

    return in_live(live, make)


def _finish(live, job_id: str) -> None:
    def finish():
        job = db.session.get(Job, job_id)
        path = jobs.job_dir(job_id) / "商铺登记.csv"
        path.write_bytes("\ufeff商铺码\n".encode())
        job.status, job.done, job.message = "done", 10, "已导出 10 家商铺 (exported 10 shops)"
        job.result_path, job.result_name, job.finished_at = str(path), path.name, utcnow()
        db.session.commit()

    in_live(live, finish)


def test_the_bar_moves_to_done_by_the_script_and_offers_the_file(phone, live):
    log_in(phone, live, "regulator")
    job_id = _running_job(live)
    phone.goto(f"{live['base']}/admin/jobs/{job_id}")
    assert phone.locator("progress").get_attribute("value") == "4"
    assert "4 / 10" in phone.inner_text("#job-progress")
    fits_the_phone(phone)
    phone.screenshot(path="/tmp/jobs-running-390.png", full_page=True)  # noqa: S108 — screenshots for a person to look at
    _finish(live, job_id)
    phone.wait_for_selector("#job-progress a.button.primary", timeout=15000)  # swapped in, no reload
    assert "已导出 10 家商铺" in phone.inner_text("#job-progress")
    assert phone.locator("progress").count() == 0
    phone.screenshot(path="/tmp/jobs-done-390.png", full_page=True)  # noqa: S108 — screenshots for a person to look at
    no_problems(phone)


def test_the_registry_export_button_starts_a_job(desktop, live):
    from tests import factories

    desktop.goto(f"{live['base']}/login")  # the desk has no touch: click, not tap
    desktop.fill("input[name=username]", live["regulator"])
    desktop.fill("input[name=password]", factories.PASSWORD)
    tap_and_wait_click(desktop, desktop.get_by_role("button", name="登录"))
    desktop.goto(f"{live['base']}/admin/shops")
    tap_and_wait_click(desktop, desktop.get_by_role("button", name="CSV"))
    assert "/admin/jobs/" in desktop.url
    assert "已导出" in desktop.inner_text("#job-progress")
    desktop.goto(f"{live['base']}/admin/jobs")
    desktop.screenshot(path="/tmp/jobs-index-1440.png", full_page=True)  # noqa: S108 — screenshots for a person to look at
    no_problems(desktop)


def test_the_jobs_page_fits_a_phone_in_english(phone, live):
    log_in(phone, live, "regulator")
    phone.goto(f"{live['base']}/admin/jobs?lang=en")
    assert "Background jobs" in phone.inner_text("h1")
    fits_the_phone(phone)
    phone.screenshot(path="/tmp/jobs-index-390-en.png", full_page=True)  # noqa: S108 — screenshots for a person to look at
    no_problems(phone)


def tap_and_wait_click(page, target) -> None:
    with page.expect_navigation():
        target.click()
