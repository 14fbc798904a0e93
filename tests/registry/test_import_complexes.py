"""The shop import creates the complexes its file names and the registry does not know (issue 14):
planned and reported in the dry run too, created with the street of their rows, audited, warned
about when a new name is close to another; a new name with two streets is an error by line."""
import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Complex, Shop, User
from huishang.services.registry import complexes
from tests.factories import make_complex, make_regulator
from tests.registry.test_import import ZH, row, run_import, shop_count, write_csv


def complex_names():
    return set(db.session.scalars(select(Complex.name)))


def test_dry_run_lists_the_new_complexes_and_writes_nothing(runner, tmp_path):
    rows = [row(1, complex="美罗城"), row(2, complex="美罗城"), row(3, complex="汇金百货", street="田林街道"),
            row(4, complex="绿地缤纷城", street="虹梅路街道"), row(5)]
    path = write_csv(tmp_path / "city.csv", rows)
    result = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "将新建 3 个商业综合体：美罗城、汇金百货、绿地缤纷城" in result.output
    assert "will create 3 complexes: 美罗城, 汇金百货, 绿地缤纷城" in result.output
    assert complex_names() == set() and shop_count() == 0


def test_import_creates_them_in_their_rows_street_and_audits_each(runner, tmp_path):
    make_complex("港汇恒隆广场")
    rows = [row(1, complex="美罗城"), row(2, complex="美罗城"), row(3, complex="汇金百货", street="田林街道"),
            row(4, complex="港汇恒隆广场")]
    result = run_import(runner, write_csv(tmp_path / "city.csv", rows))
    assert result.exit_code == 0, result.output
    assert "已新建 2 个商业综合体：美罗城、汇金百货 (created 2 complexes: 美罗城, 汇金百货)" in result.output
    created = {c.name: c for c in db.session.scalars(select(Complex))}
    assert created["美罗城"].street.name == "徐家汇街道" and created["汇金百货"].street.name == "田林街道"
    by_shop = {s.sign_name: s.complex.name for s in db.session.scalars(select(Shop))}
    assert by_shop == {"老街面馆1号店": "美罗城", "老街面馆2号店": "美罗城", "老街面馆3号店": "汇金百货",
                       "老街面馆4号店": "港汇恒隆广场"}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "complex.create")).all()
    assert sorted(e.after["name"] for e in events) == ["汇金百货", "美罗城"]
    assert all(e.after["source"] == "city.csv" for e in events)
    imported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.import"))
    assert imported.after["complexes"] == ["美罗城", "汇金百货"]
    # a second run knows them: nothing new
    again = run_import(runner, write_csv(tmp_path / "city.csv", rows))
    assert again.exit_code == 0 and "商业综合体" not in again.output
    assert db.session.scalar(select(func.count()).select_from(Complex)) == 3


def test_a_reimport_moving_a_shop_into_a_new_complex_goes_through_update(runner, tmp_path):
    run_import(runner, write_csv(tmp_path / "a.csv", [row(1)]))
    result = run_import(runner, write_csv(tmp_path / "b.csv", [row(1, complex="美罗城")]))
    assert result.exit_code == 0, result.output
    assert "更新 1" in result.output
    assert db.session.scalar(select(Shop)).complex.name == "美罗城"


def test_the_same_new_name_in_two_streets_is_an_error_by_line(runner, tmp_path):
    rows = [row(1, complex="美罗城"), row(2, complex="美罗城", street="田林街道")]
    result = run_import(runner, write_csv(tmp_path / "city.csv", rows, headers=ZH))
    assert result.exit_code != 0
    assert "第3行 商业综合体：新建商业综合体“美罗城”在第2行属于徐家汇街道，本行街道为田林街道" in result.output
    assert complex_names() == set() and shop_count() == 0


def test_close_names_are_warned_about_not_refused(runner, tmp_path):
    make_complex("港汇恒隆广场")
    rows = [row(1, complex="港汇广场"), row(2, complex="美罗城"), row(3, complex="美罗成")]
    result = run_import(runner, write_csv(tmp_path / "city.csv", rows, headers=ZH), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "第2行 商业综合体：将新建的商业综合体“港汇广场”与“港汇恒隆广场”名称相近" in result.output
    assert "第4行 商业综合体：将新建的商业综合体“美罗成”与“美罗城”名称相近" in result.output
    assert "美罗城”与" not in result.output


@pytest.mark.parametrize("a,b,close", [
    ("港汇广场", "港汇恒隆广场", True),     # core 港汇 inside 港汇恒隆
    ("日月光中心", "日月光", True),         # only a generic word apart
    ("美罗城", "美罗大厦", True),           # core 美罗 (two characters) inside 美罗城
    ("美罗城", "美罗成", True),             # cores of three characters, one replacement apart
    ("美罗城", "美丽成", False),            # two replacements apart
    ("万科广场", "万达广场", False),        # cores of two characters one apart: too short to tell
    ("天钥桥", "天钥", True),               # the shortest core that still counts: two characters
    ("天钥桥", "天", False),                # a one-character core never counts
    ("徐家汇中心", "徐家汇中心", False),    # the same name is the same complex, not a close one
    ("汇金百货", "龙华广场", False),
])
def test_close_names_rule(a, b, close):
    assert complexes.close_names(a, b) is close
    assert complexes.close_names(b, a) is close


def test_users_create_works_for_an_imported_complex(runner, tmp_path):
    run_import(runner, write_csv(tmp_path / "city.csv", [row(1, complex="美罗城")]))
    result = runner.invoke(args=["users", "create", "meiluo", "--role", "property", "--password", "s3cret-pass",
                                 "--complex", "美罗城"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "meiluo"))
    assert user.complex.name == "美罗城"


def test_upload_page_reports_the_new_complexes(client, login_as, tmp_path):
    login_as(make_regulator())
    path = write_csv(tmp_path / "up.csv", [row(1, complex="美罗城"), row(2, complex="港汇广场")])
    make_complex("港汇恒隆广场")
    db.session.commit()
    with open(path, "rb") as fh:
        r = client.post("/admin/shops/import", data={"file": (fh, "up.csv"), "action": "check"},
                        content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page
    assert "将新建 2 个商业综合体" in page and "美罗城" in page
    assert "名称相近" in page
    assert complex_names() == {"港汇恒隆广场"}
