"""docs/going-live.md, followed on a fresh empty database (migrated by Alembic, as in production).

The commands are read from the guide's ```console blocks (lines starting with `$ flask --app
huishang`) and run in order through the CLI runner, so the guide and this test cannot drift apart:
a command renamed in the code fails here, and a step added to the guide runs here. The files the
guide names (register.csv, history.csv) are a small district made here: five shops over two
streets, a history for three of them. Then: the administrator signs in, the shops are registered
with their plate codes, the accounts per street exist with a temporary password, and the first
30-day list holds the shops the history leaves due and not the one inspected last week.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (a scratch database `<name>_golive`).
"""
import csv
import os
import re
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db
from huishang.models import Shop, User, today
from huishang.services.registry import uscc

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "going-live.md"
PREFIX = ["flask", "--app", "huishang"]
ADMIN_PASSWORD = "golive-admin-1"  # noqa: S105 — a test password
STAFF_PASSWORD = "golive-staff-1"  # noqa: S105
# what the district's file holds: (sign name, street, business type)
SHOPS = [("老徐面馆", "徐家汇街道", "快餐"), ("徐汇小笼", "徐家汇街道", "正餐"), ("天钥便利", "徐家汇街道", "便利店"),
         ("华泾早点", "华泾镇", "早餐"), ("华泾生鲜", "华泾镇", "food_sales.fresh_market")]


def guide_commands() -> list[str]:
    """The `$ ` lines of the guide's ```console blocks, in order."""
    blocks = re.findall(r"```console\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    return [line[2:].strip() for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def _scratch_url(backend: str, tmp_path) -> str | None:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'golive.sqlite'}"
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        return None
    url = make_url(pg.replace("postgresql://", "postgresql+psycopg://", 1) if pg.startswith("postgresql://") else pg)
    scratch = url.set(database=f"{url.database}_golive")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
        conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    admin.dispose()
    return scratch.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request, tmp_path, monkeypatch):
    """An app on a database with nothing in it at all (not even tables)."""
    url = _scratch_url(request.param, tmp_path)
    if url is None:
        pytest.skip("PostgreSQL runs when TEST_DATABASE_URL is set")
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(tmp_path / "uploads")})
    monkeypatch.chdir(tmp_path)  # the guide's file names are relative
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


COMPLEX = {"徐汇小笼": "美罗城"}  # a complex the empty district does not know: the import creates it


def write_register(path: Path) -> None:
    rows = [["统一社会信用代码", "主体名称", "店招名称", "地址", "街道", "业态", "商业综合体"]]
    for n, (sign, street, kind) in enumerate(SHOPS, 1):
        rows.append([uscc.generate(), f"上海{sign}有限公司", sign, f"{street[:2]}路{n}号", street, kind,
                     COMPLEX.get(sign, "")])
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)


def write_history(path: Path, export: Path) -> None:
    """The city's records keyed by the plate codes of the export (guide, section 5)."""
    with export.open(encoding="utf-8-sig") as f:
        codes = {row["店招名称"]: row["商铺码"] for row in csv.DictReader(f)}
    t = today()
    rows = [["商铺码", "检查日期", "检查结果", "整改期限", "整改完成日期"],
            # inspected last week, all in order: not due within 30 days
            [codes["老徐面馆"], (t - timedelta(days=7)).isoformat(), "符合", "", ""],
            # a failed inspection two years ago, rectified in time
            [codes["徐汇小笼"], (t - timedelta(days=730)).isoformat(), "不符合",
             (t - timedelta(days=723)).isoformat(), (t - timedelta(days=725)).isoformat()],
            [codes["华泾早点"], (t - timedelta(days=400)).isoformat(), "符合", "", ""]]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def stdin_for(args: list[str]) -> str | None:
    """What a person types at the guide's prompts: a password, twice."""
    if args[0] == "setup":
        return f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n"
    if args[:2] == ["users", "create"] and "--password" not in args:
        return f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n"
    return None


def test_the_guide_names_every_step():
    commands = [" ".join(shlex.split(c)[3:5]) for c in guide_commands()]
    for step in ("db upgrade", "setup --username", "shops import", "shops export", "inspections import",
                 "plan refresh", "users create", "plates --street", "plan --days"):
        assert any(c.startswith(step) for c in commands), step
    assert commands[0] == "db upgrade" and commands[1].startswith("setup")
    assert all(shlex.split(c)[:3] == PREFIX for c in guide_commands())


def test_following_the_guide_from_an_empty_database(empty_app, tmp_path):
    runner = empty_app.test_cli_runner()
    # before `db upgrade`, setup refuses and says what to do
    early = runner.invoke(args=["setup", "--username", "admin", "--password-stdin"], input="early-pass-1\n")
    assert early.exit_code != 0 and "db upgrade" in early.output

    write_register(tmp_path / "register.csv")
    outputs = {}
    for command in guide_commands():
        args = shlex.split(command)[3:]
        if args[:2] == ["inspections", "import"] and not (tmp_path / "history.csv").exists():
            write_history(tmp_path / "history.csv", tmp_path / "shops-with-codes.csv")
        result = runner.invoke(args=args, input=stdin_for(args))
        assert result.exit_code == 0, (command, result.output, result.exception)
        outputs[command] = result.output
        db.session.remove()

    # the administrator: one, district-wide; it signs in; a second setup is refused and writes nothing
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin.is_admin and admin.role == "regulator" and admin.display_name == "区市场监管局 管理员"
    again = runner.invoke(args=["setup", "--username", "admin2", "--password-stdin"], input="another-pass\n")
    assert again.exit_code != 0 and "已存在" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 3
    client = empty_app.test_client()
    assert client.get("/setup").status_code == 404
    r = client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 302 and "/account/password" not in r.headers["Location"]
    assert "徐家汇街道" in client.get("/admin/accounts").get_data(as_text=True)

    # the register: every shop, with a plate code; the complex it named, created (and announced by the dry run)
    shops = {s.sign_name: s for s in db.session.scalars(select(Shop))}
    assert shops["徐汇小笼"].complex is not None and shops["徐汇小笼"].complex.name == "美罗城"
    assert "美罗城" in outputs["flask --app huishang shops import register.csv --dry-run"]
    assert set(shops) == {sign for sign, _street, _kind in SHOPS}
    assert all(s.code and s.street.name == street for sign, street, _kind in SHOPS for s in [shops[sign]])

    # the street's accounts, each with a temporary password to change at the first login
    staff = {u.username: u for u in db.session.scalars(select(User).where(User.username.like("xjh-%")))}
    regulator = staff["xjh-regulator"]
    assert regulator.role == "regulator" and [s.name for s in regulator.streets] == ["徐家汇街道"]
    assert staff["xjh-inspector"].role == "inspector" and staff["xjh-inspector"].must_change_password
    inspector = empty_app.test_client()
    r = inspector.post("/login", data={"username": "xjh-inspector", "password": STAFF_PASSWORD})
    assert r.headers["Location"].endswith("/account/password")

    # the plates of the street, and the first 30-day list
    assert (tmp_path / "plates-徐家汇街道.pdf").read_bytes().startswith(b"%PDF")
    listing = next(out for cmd, out in outputs.items() if cmd.endswith("plan --days 30"))
    listed = {line.split("\t")[1] for line in listing.splitlines() if "\t" in line}
    assert shops["老徐面馆"].code not in listed  # inspected last week
    for sign in ("徐汇小笼", "天钥便利", "华泾早点", "华泾生鲜"):  # never inspected, or not for a year
        assert shops[sign].code in listed, sign
    assert (tmp_path / "30-day-list.xlsx").read_bytes()[:2] == b"PK"
