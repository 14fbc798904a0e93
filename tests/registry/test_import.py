"""`flask shops import` / `export`: encodings, headers, row-level reports, idempotence."""
import csv
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Entity, Licence, PlateCode, Shop
from huishang.services.registry import codes, importing, uscc
from huishang.services.registry.importing import plan as import_plan
from huishang.services.registry.importing import writing as import_writing
from tests.factories import make_shop

EN = ["code", "uscc", "entity_name", "shop_name", "address", "street", "business_type", "lat", "lng",
      "contact", "phone", "licence_no", "licence_expires", "serves_breakfast", "cold_chain", "complex",
      "registered_on"]
ZH = ["商铺码", "统一社会信用代码", "主体名称", "店招名称", "地址", "街道", "业态", "纬度", "经度", "联系人",
      "联系电话", "许可证号", "许可证有效期", "供应早餐", "冷链", "商业综合体", "登记日期"]
USCC_A = uscc.generate()
USCC_B = uscc.generate()


def row(n=1, **kw):
    data = {"code": "", "uscc": USCC_A, "entity_name": "上海老街餐饮管理有限公司",
            "shop_name": f"老街面馆{n}号店",
            "address": f"徐汇区漕溪北路{100 + n}号", "street": "徐家汇街道", "business_type": "快餐",
            "lat": "31.1901", "lng": "121.4372", "contact": "王芳", "phone": "13912345678",
            "licence_no": f"JY2310401000{n:04d}", "licence_expires": "2027-06-30", "serves_breakfast": "是",
            "cold_chain": "否", "complex": "", "registered_on": "2023-05-01"}
    data.update(kw)
    return data


def write_csv(path, rows, headers=EN, encoding="utf-8"):
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(key, "") for key in EN])
    path.write_bytes(out.getvalue().encode(encoding))
    return str(path)


def run_import(runner, path, *extra):
    return runner.invoke(args=["shops", "import", path, *extra])


def shop_count():
    return db.session.scalar(select(func.count()).select_from(Shop))


@pytest.mark.parametrize("encoding,headers", [("utf-8", EN), ("utf-8-sig", ZH), ("gb18030", ZH),
                                              ("gb18030", EN)])
def test_csv_encodings_and_headers(runner, tmp_path, encoding, headers):
    path = write_csv(tmp_path / "shops.csv", [row(1), row(2, business_type="catering.dining")],
                     headers=headers, encoding=encoding)
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    shops = db.session.scalars(select(Shop).order_by(Shop.sign_name)).all()
    assert [s.sign_name for s in shops] == ["老街面馆1号店", "老街面馆2号店"]
    assert shops[0].entity.name == "上海老街餐饮管理有限公司"
    assert shops[0].street.name == "徐家汇街道" and shops[1].business_type.name == "正餐"
    assert shops[0].serves_breakfast is True and shops[0].cold_chain is False
    assert shops[0].licences[0].number == "JY23104010000001"
    assert str(shops[0].licences[0].expires_on) == "2027-06-30"
    assert all(codes.is_genuine(s.code) for s in shops)
    assert db.session.scalar(select(func.count()).select_from(PlateCode)) == 2
    assert db.session.scalar(select(func.count()).select_from(Entity)) == 1  # one entity, two shops
    assert shops[0].static_tier == "中" and shops[0].next_due_on is not None  # derived columns filled
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "shop.import")).all()
    assert len(events) == 1 and events[0].after["created"] == 2 and events[0].after["file"] == "shops.csv"


def test_xlsx_with_chinese_headers_and_typed_cells(runner, tmp_path):
    from datetime import date

    book = Workbook()
    sheet = book.active
    sheet.append(ZH)
    sheet.append(["", USCC_A, "上海老街餐饮管理有限公司", "老街面馆", "徐汇区天钥桥路1号", "徐家汇街道",
                  "快餐", 31.19, 121.43, "王芳", 13912345678, "JY1", date(2027, 1, 31), "否", "是", "",
                  date(2022, 3, 4)])
    path = tmp_path / "shops.xlsx"
    book.save(path)
    result = run_import(runner, str(path))
    assert result.exit_code == 0, result.output
    shop = db.session.scalar(select(Shop))
    assert shop.phone == "13912345678"  # a number cell must not become 1.39e10
    assert str(shop.registered_on) == "2022-03-04" and shop.cold_chain is True
    assert str(shop.licences[0].expires_on) == "2027-01-31"


def test_full_width_characters_are_folded(runner, tmp_path):
    wide_uscc = "".join(chr(ord(c) + 0xFEE0) for c in USCC_B)
    path = write_csv(tmp_path / "w.csv", [row(1, uscc=wide_uscc, phone="１３９１２３４５６７８",
                                               address="徐汇区宜山路　２００号", lat="３１.１８")])
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    shop = db.session.scalar(select(Shop))
    assert shop.entity.uscc == USCC_B and shop.phone == "13912345678"
    assert shop.address == "徐汇区宜山路 200号" and shop.lat == pytest.approx(31.18)


def test_every_bad_row_is_reported_and_nothing_is_written(runner, tmp_path):
    bad_check = USCC_B[:17] + ("0" if USCC_B[17] != "0" else "1")
    rows = [row(1), row(2, uscc=bad_check, entity_name="别的公司"), row(3, street="不存在街道"),
            row(4, registered_on="2023-13-45"), row(5, shop_name=""), row(6, licence_expires="明年"),
            row(7, business_type="火星餐饮"), row(8, lat="39.9")]
    path = write_csv(tmp_path / "bad.csv", rows, headers=ZH)
    result = run_import(runner, path)
    assert result.exit_code != 0
    out = result.output
    assert "未导入任何数据" in out
    assert "第3行 统一社会信用代码：统一社会信用代码校验位错误" in out
    assert "第4行 街道：未知街道：不存在街道" in out
    assert "第5行 登记日期" in out
    assert "第6行 店招名称：必填项不能为空" in out
    assert "第7行 许可证有效期" in out
    assert "第8行 业态" in out
    assert "第9行 纬度" in out
    assert "第2行" not in out
    assert shop_count() == 0 and db.session.scalar(select(func.count()).select_from(Entity)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_duplicates_inside_the_file(runner, tmp_path):
    code = codes.mint()
    rows = [row(1, code=code), row(2, code=code), row(3), row(3),
            row(4, uscc=USCC_B, entity_name="甲公司"), row(5, uscc=USCC_B, entity_name="乙公司")]
    result = run_import(runner, write_csv(tmp_path / "dup.csv", rows))
    assert result.exit_code != 0
    assert "第3行 code：商铺码与第2行重复" in result.output
    assert "第5行 shop_name：与第4行是同一商铺" in result.output
    assert "第7行 entity_name：同一信用代码在第6行的主体名称为“甲公司”" in result.output
    assert shop_count() == 0


def test_conflicts_with_the_database(runner, tmp_path):
    existing = make_shop(uscc=USCC_B, entity_name="已登记公司", sign_name="老店", address="徐汇区衡山路1号")
    replaced = codes.mint()
    db.session.add(PlateCode(code=replaced, shop_id=existing.id, replaced_at=existing.created_at))
    db.session.commit()
    rows = [row(1, uscc=USCC_B, entity_name="另一个名字"),
            row(2, code=codes.mint(), uscc=USCC_B, entity_name="已登记公司", shop_name="老店",
                address="徐汇区衡山路1号"),
            row(3, code=replaced), row(4, code="ABCDEFGH2")]
    result = run_import(runner, write_csv(tmp_path / "db.csv", rows))
    assert result.exit_code != 0
    assert "第2行 entity_name：该信用代码已登记为“已登记公司”" in result.output
    assert "第3行 code：该商铺已登记，商铺码不一致" in result.output
    assert "第4行 code：该商铺码的铭牌已补发" in result.output
    assert "第5行 code：商铺码格式或校验位错误" in result.output
    assert shop_count() == 1


def test_dry_run_writes_nothing(runner, tmp_path):
    result = run_import(runner, write_csv(tmp_path / "ok.csv", [row(1), row(2)]), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "新增 2" in result.output and "试运行" in result.output
    assert shop_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_reimport_is_idempotent_and_changes_go_through_update(runner, tmp_path):
    path = write_csv(tmp_path / "ok.csv", [row(1), row(2)])
    assert run_import(runner, path).exit_code == 0
    before = {s.id: (s.code, s.updated_at) for s in db.session.scalars(select(Shop))}
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "新增 0，更新 0，未变 2" in result.output
    db.session.expire_all()
    assert {s.id: (s.code, s.updated_at) for s in db.session.scalars(select(Shop))} == before
    assert db.session.scalar(select(func.count()).select_from(Licence)) == 2
    # A changed phone on one row updates that shop only, with a per-shop audit event.
    path = write_csv(tmp_path / "ok.csv", [row(1, phone="021-64871234"), row(2)])
    result = run_import(runner, path)
    assert "新增 0，更新 1，未变 1" in result.output, result.output
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.update"))
    assert event.before == {"phone": "13912345678"} and event.after == {"phone": "021-64871234"}


def test_rows_match_by_code(runner, tmp_path):
    shop = make_shop(sign_name="旧店招")
    result = run_import(runner, write_csv(tmp_path / "c.csv", [row(1, code=shop.code, uscc=shop.entity.uscc,
                                                                    entity_name=shop.entity.name)]))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert shop_count() == 1 and db.session.get(Shop, shop.id).sign_name == "老街面馆1号店"


def test_closing_by_import_is_refused(runner, tmp_path):
    shop = make_shop()
    headers = EN + ["status"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    data = row(1, code=shop.code, uscc=shop.entity.uscc, entity_name=shop.entity.name)
    writer.writerow([data.get(k, "") for k in EN] + ["注销"])
    (tmp_path / "s.csv").write_text(out.getvalue(), encoding="utf-8")
    result = run_import(runner, str(tmp_path / "s.csv"))
    assert result.exit_code != 0 and "第2行 status：注销须在商铺页面办理" in result.output


def test_missing_required_column_and_bad_file(runner, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("uscc,shop_name\n" + USCC_A + ",x\n", encoding="utf-8")
    result = run_import(runner, str(path))
    assert result.exit_code != 0 and "缺少列" in result.output
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x30\x81" * 10)
    result = run_import(runner, str(path))
    assert result.exit_code == 1 and "无法识别文件编码" in result.output
    path.write_bytes(b"\xef\xbb\xbf" + "店招名称\n".encode("gb18030"))  # a BOM, then not UTF-8
    result = run_import(runner, str(path))
    assert result.exit_code == 1 and "无法识别文件编码" in result.output
    assert shop_count() == 0


def test_export_csv_has_bom_and_reimports_unchanged(runner, tmp_path, app):
    make_shop(sign_name="甲店", street="徐家汇街道")
    make_shop(sign_name="乙店", street="华泾镇", serves_breakfast=True, licence_no="JY9",
              licence_expires="2027-01-01")
    out = tmp_path / "all.csv"
    result = runner.invoke(args=["shops", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("商铺码,统一社会信用代码") and len(lines) == 3
    result = run_import(runner, str(out))
    assert result.exit_code == 0, result.output
    assert "新增 0，更新 0，未变 2" in result.output
    one = tmp_path / "one.xlsx"
    assert runner.invoke(args=["shops", "export", "--out", str(one), "--street", "华泾镇"]).exit_code == 0
    rows = list(load_workbook(one).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][3] == "乙店" and rows[1][13] == "是"
    assert run_import(runner, str(one)).exit_code == 0
    assert runner.invoke(args=["shops", "export", "--out", str(tmp_path / "x.pdf")]).exit_code != 0


def test_plan_reports_ignored_headers(tmp_path):
    path = write_csv(tmp_path / "x.csv", [row(1)], headers=EN[:-1] + ["备注"])
    plan = importing.plan_import(path)
    assert plan.ok and plan.ignored_headers == ["备注"] and len(plan.created) == 1


def test_large_file_paths_read_whole_tables(runner, tmp_path, monkeypatch):
    # Above importing.BIG ids the import scans tables instead of IN lists; same results. BIG is read
    # where it is used: by the plan (compare_existing) and by the writing (insert_entities).
    monkeypatch.setattr(import_plan, "BIG", 1)
    monkeypatch.setattr(import_writing, "BIG", 1)
    path = write_csv(tmp_path / "big.csv", [row(1), row(2), row(3, uscc=USCC_B, entity_name="乙公司")])
    assert run_import(runner, path).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Entity)) == 2
    path = write_csv(tmp_path / "big.csv", [row(1), row(2, contact="李四"), row(3, uscc=USCC_B,
                                                                              entity_name="乙公司")])
    result = run_import(runner, path)
    assert "新增 0，更新 1，未变 2" in result.output, result.output
