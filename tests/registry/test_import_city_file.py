"""The city's register file in one command (issue 14): an empty registry, a file of a few hundred
shops naming several complexes it does not know, `flask shops import` once — every shop and every
complex in, in the right streets — and the same file again changes nothing. The 15,000-row run is a
benchmark (scripts/bench_import.py --rows 15000 --complexes 40), not a test."""
import csv
import io
import random

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Complex, Shop
from huishang.services.registry import uscc

STREETS = ("天平路街道", "徐家汇街道", "田林街道", "龙华街道", "长桥街道")
COMPLEXES = {"美罗城": "徐家汇街道", "港汇恒隆广场": "徐家汇街道", "汇金百货": "田林街道", "日月光中心": "天平路街道",
             "龙华会": "龙华街道", "西岸梦中心": "长桥街道"}
ROWS = 360


def city_file(path):
    rng = random.Random(14)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["统一社会信用代码", "主体名称", "店招名称", "地址", "街道", "业态", "联系电话", "商业综合体"])
    by_street = {s: [c for c, street in COMPLEXES.items() if street == s] for s in STREETS}
    for n in range(ROWS):
        street = STREETS[n % len(STREETS)]
        inside = by_street[street] and n % 3 == 0
        writer.writerow([uscc.generate(rng), f"上海城市{n}号餐饮有限公司", f"城市小馆{n}", f"徐汇区某路{n}号", street,
                         rng.choice(("快餐", "正餐", "便利店")), "13900001111",
                         rng.choice(by_street[street]) if inside else ""])
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return str(path)


def test_the_city_file_goes_in_with_its_complexes_in_one_command(runner, tmp_path):
    path = city_file(tmp_path / "city.csv")
    dry = runner.invoke(args=["shops", "import", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"将新建 {len(COMPLEXES)} 个商业综合体" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Complex)) == 0

    result = runner.invoke(args=["shops", "import", path])
    assert result.exit_code == 0, result.output
    assert f"新增 {ROWS}" in result.output and f"已新建 {len(COMPLEXES)} 个商业综合体" in result.output
    assert {c.name: c.street.name for c in db.session.scalars(select(Complex))} == COMPLEXES
    in_complexes = db.session.scalars(select(Shop).where(Shop.complex_id.is_not(None))).all()
    assert len(in_complexes) == ROWS // 3  # every street of the file has a complex: every third row is inside one
    assert all(s.complex.street_id == s.street_id for s in in_complexes)
    assert db.session.scalar(select(func.count()).select_from(Shop)) == ROWS
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "complex.create")) == len(COMPLEXES)

    again = runner.invoke(args=["shops", "import", path])
    assert again.exit_code == 0 and f"未变 {ROWS}" in again.output and "商业综合体" not in again.output
    assert db.session.scalar(select(func.count()).select_from(Complex)) == len(COMPLEXES)
