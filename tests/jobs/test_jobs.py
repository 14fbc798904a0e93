"""Background jobs in-process (the embedded default): the page starts a job, its page shows the
result and offers the file to its owner only; the status API; failures in words with nothing
kept; every scheduled job runs by hand and twice gives the same result."""
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import Inspection, Job, PlanItem, Shop, today
from huishang.services import jobs
from tests.factories import add_inspection, make_inspector, make_regulator, make_shop


def download(client, url):
    """GET a job's file, buffered and closed (the file on disk is not left open)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def started_job(response) -> Job | None:
    assert response.status_code == 302, response.status_code
    if "/admin/jobs/" not in response.headers["Location"]:
        return None
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_export_job_page_and_file_for_its_owner_only(client, login_as, app):
    make_shop(sign_name="甲店", street="华泾镇")
    make_shop(sign_name="乙店")
    owner = make_regulator(streets=("华泾镇",))
    login_as(owner)
    job = started_job(client.post("/admin/shops/export.csv"))
    assert job.status == "done" and job.owner_id == owner.id and (job.done, job.total) == (1, 1)
    assert len(job.id) >= 32  # a random token, not a counter
    page = client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "已导出 1 家商铺" in page and f"/admin/jobs/{job.id}/file" in page
    assert "js/jobs.js" in page and "<progress" not in page  # finished: no bar, no polling
    data = download(client, f"/admin/jobs/{job.id}/file").get_data().decode("utf-8-sig")
    assert "甲店" in data and "乙店" not in data  # the owner's street scope
    client.post("/logout")
    login_as(make_inspector(streets=("华泾镇",)))  # another staff member: the job does not exist
    assert client.get(f"/admin/jobs/{job.id}").status_code == 404
    assert download(client, f"/admin/jobs/{job.id}/file").status_code == 404
    client.post("/logout")
    login_as(make_regulator())  # a district-wide regulator may see it
    assert download(client, f"/admin/jobs/{job.id}/file").status_code == 200


def test_a_running_job_shows_a_bar_and_refreshes_itself(client, login_as):
    owner = make_regulator()
    job = jobs.create("registry.export", {"fmt": "csv"}, owner, total=10)
    job.status, job.done = "running", 4
    db.session.commit()
    login_as(owner)
    page = client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert '<progress max="10" value="4">' in page and "4 / 10" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert 'data-finished="0"' in page and "<script>" not in page  # CSP: the script is a served file


def test_status_api_starts_with_202_and_answers_its_owner_only(client, auth_header):
    make_shop()
    owner, other = make_regulator(), make_regulator(streets=("华泾镇",))
    r = client.post("/api/v1/jobs", json={"kind": "registry.export", "fmt": "xlsx"}, headers=auth_header(owner))
    assert r.status_code == 202
    body = r.get_json()
    assert body["status_url"] == f"/api/v1/jobs/{body['id']}" and body["status"] in ("queued", "running", "done")
    status = client.get(body["status_url"], headers=auth_header(owner)).get_json()
    assert status["status"] == "done" and status["file_name"].endswith(".xlsx") and status["done"] == 1
    assert status["file_url"] == f"/admin/jobs/{body['id']}/file"
    r = client.get(body["status_url"], headers=auth_header(other))
    assert r.status_code == 404 and r.get_json()["code"] == 404
    r = client.post("/api/v1/jobs", json={"kind": "rm -rf"}, headers=auth_header(owner))
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
    r = client.post("/api/v1/jobs", json={"kind": "plan.generate"}, headers=auth_header(make_inspector()))
    assert r.status_code == 403
    assert db.session.scalar(select(func.count(Job.id))) == 1


def test_a_failed_import_says_why_and_keeps_nothing(client, login_as, monkeypatch):
    from huishang.admin import pages
    from huishang.services.registry import uscc

    monkeypatch.setattr(pages, "MAX_UPLOAD_ROWS", 1)  # so the job checks the file itself
    login_as(make_regulator())
    header = "统一社会信用代码,主体名称,店招名称,地址,街道,业态\n"
    good = f"{uscc.generate()},上海甲公司,甲店,徐汇区宜山路1号,田林街道,快餐\n"
    bad = f"{uscc.generate()[:17]}Z,上海乙公司,乙店,徐汇区宜山路2号,田林街道,快餐\n"
    r = client.post("/admin/shops/import", data={"file": (BytesIO((header + good + bad).encode()), "s.csv"),
                                                 "action": "import"}, content_type="multipart/form-data")
    job = started_job(r)
    assert job.status == "failed" and "未导入任何数据" in job.message and job.report
    assert db.session.scalar(select(func.count(Shop.id))) == 0  # all or nothing
    page = client.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "未保存任何结果" in page and "统一社会信用代码" in page and "/file" not in page


def test_plates_and_plan_and_history_import_jobs(client, login_as, app, tmp_path):
    shop = make_shop(sign_name="铭牌店")
    add_inspection(shop, today() - timedelta(days=400))
    login_as(make_regulator())
    job = started_job(client.post("/admin/jobs/plates", data={"street": "徐家汇街道"}))
    assert job.status == "done" and job.result_name.endswith(".pdf")
    assert download(client, f"/admin/jobs/{job.id}/file").data.startswith(b"%PDF")
    job = started_job(client.post("/admin/jobs/plates", data={"street": "没有这个街道"}))
    assert job is None  # refused before any job: back to the page with the message
    job = started_job(client.post("/admin/plan/generate", data={"days": "30"}))
    assert job.status == "done" and "清单已生成" in job.message
    assert db.session.scalar(select(func.count(PlanItem.id))) >= 1
    before = db.session.scalar(select(func.count(Inspection.id)))
    csv = f"shop_code,inspected_on,outcome\n{shop.code},2025-01-05,符合\n".encode()
    job = started_job(client.post("/admin/jobs/inspections-import", data={"file": (BytesIO(csv), "h.csv")},
                                  content_type="multipart/form-data"))
    assert job.status == "done", job.message
    assert db.session.scalar(select(func.count(Inspection.id))) == before + 1


def test_a_job_run_twice_gives_one_result(app):
    make_shop()
    owner = make_regulator()
    job = jobs.create("registry.export", {"fmt": "csv"}, owner)
    db.session.commit()
    assert jobs.run(job.id, heartbeat=False) == "done"
    first = (db.session.get(Job, job.id).result_path, db.session.get(Job, job.id).attempts)
    assert jobs.run(job.id, heartbeat=False) == "done"  # a redelivered message: nothing runs again
    db.session.expire_all()
    again = db.session.get(Job, job.id)
    assert (again.result_path, again.attempts) == first == (first[0], 1)


@pytest.mark.parametrize("name", sorted(jobs.scheduled()))
def test_every_scheduled_job_runs_by_hand_twice_with_the_same_result(runner, name, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "OPENDATA_DIR", str(tmp_path))  # restored: later tests serve no stale zip
    make_shop()
    if name == "scan-counts":  # scans other tests counted in this process are written first
        runner.invoke(args=["jobs", "run", name])
    first = runner.invoke(args=["jobs", "run", name])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["jobs", "run", name])
    assert second.exit_code == 0, second.output
    if name in ("complaints-sweep", "reminders", "jobs-cleanup", "scan-counts", "jobs-requeue", "messages-deliver",
                "scan-faces"):
        assert second.output == first.output  # nothing left to do the second time


def test_jobs_list_and_unknown_name(runner):
    listed = runner.invoke(args=["jobs", "list"]).output
    for name in ("plan-refresh", "complaints-sweep", "reminders", "opendata-export", "scan-counts", "jobs-cleanup"):
        assert name in listed
    r = runner.invoke(args=["jobs", "run", "nonsense"])
    assert r.exit_code != 0 and "unknown job" in r.output


def test_cleanup_removes_old_jobs_and_their_files(app):
    from datetime import timedelta

    from huishang.models import utcnow

    owner = make_regulator()
    job = jobs.create("registry.export", {"fmt": "csv"}, owner)
    db.session.commit()
    jobs.run(job.id, heartbeat=False)
    path = jobs.result_file(db.session.get(Job, job.id))
    assert path is not None and path.exists()
    db.session.get(Job, job.id).created_at = utcnow() - timedelta(days=app.config["JOB_FILES_DAYS"] + 1)
    db.session.commit()
    assert jobs.cleanup() == 1 and not path.exists()
    assert jobs.cleanup() == 0


def test_an_inspection_s_merchants_are_told_after_the_commit_once(client, auth_header):
    from huishang.models import ChecklistTemplate, Notification
    from huishang.services import inspections
    from tests.factories import make_merchant

    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    lead, co = make_inspector(), make_inspector()
    template = db.session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.key == "food.catering.inspection", ChecklistTemplate.current.is_(True)))
    db.session.commit()
    body = {"shop_code": shop.code, "template_id": template.id, "co_inspector": co.username,
            "client_id": "followup-0001",
            "answers": [{"item_id": i.id, "result": "fail" if n == 0 else "pass", "note": ""}
                        for n, i in enumerate(template.items)]}
    r = client.post("/api/v1/inspections", json=body, headers=auth_header(lead))
    assert r.status_code == 201
    notes = db.session.scalars(select(Notification).where(Notification.user_id == merchant.id)).all()
    assert [n.title for n in notes] == ["监督检查结果：不符合"] and "前完成整改" in notes[0].body
    assert client.post("/api/v1/inspections", json=body, headers=auth_header(lead)).status_code == 200  # a retry
    assert inspections.notify_result(r.get_json()["id"]) == 0  # run again: nothing sent twice
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == merchant.id)) == 1
