"""Background jobs: the job page with its progress bar (/admin/jobs/<id>), its file, and the API
(POST /api/v1/jobs starts one: 202 with the status URL; GET /api/v1/jobs/<id> is the status).

Only the job's owner and a district-wide regulator see a job or its file; to anyone else it does
not exist (404), so the URL confirms nothing."""
from pathlib import PurePath

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from huishang.services import DomainError, jobs, planning

from .. import handling
from ..api import Blueprint
from ..extensions import csrf, db
from ..models import Street
from ..models.scope import scoped
from ..schemas.jobs import JobSchema, JobStartSchema
from ..security import api_gate, json_error, roles_required
from . import bp

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Background jobs and their progress")
blp.before_request(api_gate("regulator", "inspector"))
csrf.exempt(blp)


def load_job(job_id: str):
    job = jobs.get(job_id)
    if job is None or not job.can_view(current_user):
        abort(404)
    return job


def job_view(job) -> dict:
    data = jobs.status_of(job)
    data["status_url"] = url_for("jobs.job_status", job_id=job.id)
    data["page_url"] = url_for("admin.job_page", job_id=job.id)
    data["file_url"] = url_for("admin.job_file", job_id=job.id) if data["file_name"] else None
    return data


def start(kind: str, params: dict) -> str:
    """Create the job, commit the request, hand the job to its runner; the job page's URL."""
    return launch_committed(jobs.create(kind, params, current_user))


def launch_committed(job) -> str:
    """Commit the request (the job's row with it), then hand the job to its runner."""
    handling.commit()
    jobs.launch(job)
    return url_for("admin.job_page", job_id=job.id)


def start_and_show(kind: str, params: dict):
    """For a page's form: start the job and go to its page."""
    return redirect(start(kind, params))


@bp.get("/jobs/<job_id>", endpoint="job_page")
def job_page(job_id):
    """The job's progress bar (refreshed by js/jobs.js, or by the page itself without scripts), its
    result in words, and its file once ready."""
    job = load_job(job_id)
    return render_template("jobs/job.html", job=job, view=job_view(job))


@bp.get("/jobs/<job_id>/file", endpoint="job_file")
def job_file(job_id):
    job = load_job(job_id)
    path = jobs.result_file(job)
    if path is None:
        abort(404, description="文件尚未生成或已过期 (not ready or expired)")
    return send_file(path, as_attachment=True, download_name=job.result_name, max_age=0)


# -- the API --------------------------------------------------------------------------------------

@blp.route("/jobs/<job_id>")
@blp.response(200, JobSchema)
def job_status(job_id):
    """The job's status: queued / running / done / failed, rows done of total, its message in
    words, and the file's URL once ready (owner and district-wide regulators only; 404 otherwise)."""
    job = jobs.get(job_id)
    if job is None or not job.can_view(current_user):
        return json_error(404, "任务不存在 (no such job)")
    return job_view(job)


@blp.route("/jobs", methods=["POST"])
@blp.arguments(JobStartSchema)
@blp.response(202, JobSchema)
def start_job(data):
    """Start long work as a job: the registry export, plates, the 30-day list, the open-data package.
    Answers 202 with the job's id and status URL at once; poll the status URL."""
    kind = data["kind"]
    if kind in ("plan.generate", "opendata.export") and current_user.role != "regulator":
        return json_error(403, "只有监管者可以执行此任务 (regulators only)")
    if kind == "opendata.export" and not current_user.district_wide:
        return json_error(403, "只有全区监管者可以生成开放数据包 (district regulators only)")
    street_ids = planning.scope_street_ids(current_user, data.get("street"))
    if kind == "registry.export":
        params = {"fmt": data["fmt"], "filters": {"street": data["street"]} if data.get("street") else {}}
    elif kind == "plates":
        params = {"street_id": next(iter(street_ids)) if data.get("street") else None,
                  "include_closed": data["include_closed"]}
    elif kind == "plan.generate":
        params = {"days": data["days"], "street_ids": sorted(street_ids) if street_ids is not None else None}
    else:
        params = {}
    job = jobs.create(kind, params, current_user)
    handling.commit()
    jobs.launch(job)
    return job_view(jobs.get(job.id)), 202


# -- the jobs page: my recent jobs, and the long work started from here ---------------------------

RECENT = 20


@bp.get("/jobs", endpoint="jobs_index")
def jobs_index():
    """My recent jobs, and forms for plates (a street or the whole district), the inspection history
    import and the open-data package."""
    return render_template("jobs/index.html", recent=jobs.recent_for(current_user, RECENT),
                           streets=_scope_streets(), kinds=jobs.KINDS)


def _scope_streets():
    return list(db.session.scalars(scoped(select(Street).order_by(Street.position), current_user, Street.id)))


@bp.post("/jobs/plates", endpoint="jobs_plates")
def jobs_plates():
    """Plates of one street, or of every street in the user's scope, as one PDF."""
    street = (request.form.get("street") or "").strip() or None
    try:
        street_ids = planning.scope_street_ids(current_user, street)
    except DomainError as exc:
        flash(str(exc.message), "message")
        return redirect(url_for("admin.jobs_index"))
    return start_and_show("plates", {"street_id": next(iter(street_ids)) if street else None,
                                     "include_closed": bool(request.form.get("include_closed"))})


@bp.post("/jobs/opendata", endpoint="jobs_opendata")
@roles_required("regulator")
def jobs_opendata():
    """The open-data package now (district-wide regulators; beat makes it every night anyway)."""
    if not current_user.district_wide:
        abort(403)
    return start_and_show("opendata.export", {})


@bp.post("/jobs/inspections-import", endpoint="jobs_inspections_import")
@roles_required("regulator")
def jobs_inspections_import():
    """Inspection history from the city's system (CSV / XLSX): checked and written by a job, all
    rows or none; its page lists any bad rows."""
    upload = request.files.get("file")
    suffix = PurePath(upload.filename or "").suffix.lower() if upload else ""
    if upload is None or suffix not in (".csv", ".xlsx"):
        flash(_("请选择 CSV 或 XLSX 文件"), "message")
        return redirect(url_for("admin.jobs_index"))
    job = jobs.create("inspections.import", {"filename": upload.filename}, current_user)
    path = jobs.job_dir(job.id) / f"upload{suffix}"
    upload.save(path)
    job.params = {"filename": upload.filename, "path": str(path)}
    return redirect(launch_committed(job))
