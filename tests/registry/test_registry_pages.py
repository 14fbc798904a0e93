"""Regulator pages: the registry list, profile, create / edit / close forms, export, scope."""
from datetime import timedelta

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Shop, today
from huishang.services.registry import uscc
from tests.factories import job_download, make_inspector, make_regulator, make_shop


def form(**kw):
    data = {"uscc": uscc.generate(), "entity_name": "上海好味道餐饮有限公司", "sign_name": "好味道小笼",
            "address": "徐汇区天钥桥路88号", "street": "徐家汇街道", "business_type": "catering.snack",
            "complex": "", "lat": "31.1895", "lng": "121.4371", "contact": "李明", "phone": "13800138000",
            "opening_hours": "07:00-20:00", "registered_on": "2024-03-01", "licence_no": "JY231040100001",
            "licence_expires": "2028-01-01", "serves_breakfast": "y", "breakfast_spend": "12",
            "breakfast_wait": "5", "breakfast_offer": "小笼、豆浆", "breakfast_hours": "06:30-09:30"}
    data.update(kw)
    return data


def count(model=Shop):
    return db.session.scalar(select(func.count()).select_from(model))


def test_list_filters_search_and_links(client, login_as):
    a = make_shop(sign_name="老王面馆", business_type="catering.fast_food")
    b = make_shop(sign_name="小李超市", business_type="food_sales.supermarket", street="华泾镇")
    c = make_shop(sign_name="阿芳美发", business_type="non_food.beauty")
    login_as(make_regulator())
    page = client.get("/admin/shops").get_data(as_text=True)
    assert all(s.sign_name in page for s in (a, b, c))
    assert f'href="/admin/shops/{a.code}"' in page
    only = client.get("/admin/shops?street=华泾镇").get_data(as_text=True)
    assert "小李超市" in only and "老王面馆" not in only
    food = client.get("/admin/shops?business_type=food_sales").get_data(as_text=True)  # a family
    assert "小李超市" in food and "阿芳美发" not in food
    assert "老王面馆" in client.get("/admin/shops?q=面馆").get_data(as_text=True)
    assert "阿芳美发" not in client.get("/admin/shops?q=面馆").get_data(as_text=True)
    assert "老王面馆" in client.get(f"/admin/shops?q={a.code.lower()}").get_data(as_text=True)
    bad = client.get("/admin/shops?street=火星街道")
    assert bad.status_code == 400 and "未知街道" in bad.get_data(as_text=True)


def test_status_filter_and_pagination(client, login_as):
    shops = [make_shop(sign_name=f"第{n}家") for n in range(33)]
    from huishang.services import registry

    registry.close_shop(shops[0], reason="歇业")
    db.session.commit()
    login_as(make_regulator())
    closed = client.get("/admin/shops?status=closed").get_data(as_text=True)
    assert "第0家" in closed and "第1家" not in closed
    first = client.get("/admin/shops").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "第32家" in first and "第0家" not in first
    second = client.get("/admin/shops?page=2").get_data(as_text=True)
    assert "第0家" in second and "第32家" not in second
    assert client.get("/admin/shops?page=99").status_code == 200  # clamped, not an error


def test_scope_list_and_profile(client, login_as):
    inside = make_shop(sign_name="街内小店", street="徐家汇街道")
    outside = make_shop(sign_name="街外小店", street="华泾镇")
    login_as(make_inspector(streets=("徐家汇街道",)))
    page = client.get("/admin/shops").get_data(as_text=True)
    assert "街内小店" in page and "街外小店" not in page
    assert "华泾镇" not in client.get("/admin/shops").get_data(as_text=True).split("<ul class=\"list")[1]
    assert client.get(f"/admin/shops/{inside.code}").status_code == 200
    assert client.get(f"/admin/shops/{outside.code}").status_code == 404
    assert client.get("/admin/shops/NOSUCHCODE").status_code == 404
    csv = job_download(client, client.post("/admin/shops/export.csv"))[1].get_data().decode("utf-8-sig")
    assert "街内小店" in csv and "街外小店" not in csv


def test_inspectors_read_but_do_not_change(client, login_as):
    shop = make_shop()
    login_as(make_inspector())
    page = client.get(f"/admin/shops/{shop.code}").get_data(as_text=True)
    assert shop.sign_name in page and f"/admin/shops/{shop.code}/edit" not in page
    assert client.get("/admin/shops/new").status_code == 403
    assert client.post("/admin/shops/new", data=form()).status_code == 403
    assert client.get(f"/admin/shops/{shop.code}/edit").status_code == 403
    assert client.post(f"/admin/shops/{shop.code}/close", data={"reason": "歇业了"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).status == "open" and count() == 1


def test_create_shop_through_the_form(client, login_as):
    reg = make_regulator()
    login_as(reg)
    assert client.get("/admin/shops/new").status_code == 200
    r = client.post("/admin/shops/new", data=form())
    assert r.status_code == 302
    shop = db.session.scalar(select(Shop))
    assert r.headers["Location"].endswith(f"/admin/shops/{shop.code}")
    assert shop.serves_breakfast and float(shop.breakfast_spend) == 12 and shop.breakfast_wait == 5
    assert shop.licences[0].number == "JY231040100001"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.register"))
    assert event.actor_id == reg.id and event.shop_id == shop.id


def test_create_form_reshows_domain_errors_next_to_fields(client, login_as):
    login_as(make_regulator())
    good = uscc.generate()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    r = client.post("/admin/shops/new", data=form(uscc=bad, lat="39.9", phone="abc"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "统一社会信用代码校验位错误" in html and "超出徐汇区范围" in html and "电话号码格式错误" in html
    assert 'value="好味道小笼"' in html  # the rest of the input is kept
    r = client.post("/admin/shops/new", data=form(sign_name=""))
    assert r.status_code == 422 and "field-error" in r.get_data(as_text=True)
    assert count() == 0
    assert not db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("shop.%")))


def test_street_outside_scope_is_refused(client, login_as):
    login_as(make_regulator(streets=("徐家汇街道",)))
    r = client.post("/admin/shops/new", data=form(street="华泾镇"))
    assert r.status_code == 422 and count() == 0
    assert "华泾镇" not in client.get("/admin/shops/new").get_data(as_text=True)


def test_edit_records_before_and_after(client, login_as):
    shop = make_shop(phone="13800000000")
    reg = make_regulator()
    login_as(reg)
    page = client.get(f"/admin/shops/{shop.code}/edit").get_data(as_text=True)
    assert 'value="13800000000"' in page and shop.entity.uscc in page
    data = form(uscc=shop.entity.uscc, entity_name=shop.entity.name, sign_name=shop.sign_name,
                address=shop.address, business_type="catering.fast_food", phone="021-64870000",
                lat=str(shop.lat), lng=str(shop.lng), registered_on="2024-01-15", status="open",
                serves_breakfast="", licence_no="", licence_expires="", breakfast_spend="",
                breakfast_wait="", breakfast_offer="", breakfast_hours="", opening_hours="",
                contact="张三")
    r = client.post(f"/admin/shops/{shop.code}/edit", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.update"))
    assert event.before == {"phone": "13800000000"} and event.after == {"phone": "021-64870000"}
    assert event.actor_id == reg.id
    r = client.post(f"/admin/shops/{shop.code}/edit", data={**data, "lng": "150"})
    assert r.status_code == 422 and "超出徐汇区范围" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).lng == shop.lng


def test_close_needs_a_reason_and_is_audited(client, login_as):
    shop = make_shop()
    reg = make_regulator()
    login_as(reg)
    assert client.get(f"/admin/shops/{shop.code}/close").status_code == 200
    assert client.post(f"/admin/shops/{shop.code}/close", data={"reason": ""}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).status == "open"
    r = client.post(f"/admin/shops/{shop.code}/close", data={"reason": "迁出本区"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).status == "closed"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.close"))
    assert event.after["reason"] == "迁出本区" and event.actor_id == reg.id
    assert client.post(f"/admin/shops/{shop.code}/close", data={"reason": "再来一次"}).status_code == 409
    r = client.get(f"/admin/shops/{shop.code}/edit")
    assert r.status_code == 302  # a closed record is history


def test_profile_gathers_licences_and_audit_trail(client, login_as):
    shop = make_shop(licence_no="JY-SOON", licence_expires=(today() + timedelta(days=10)).isoformat(),
                     sign_name="快到期小店")
    reg = make_regulator(username="wang.jian")
    login_as(reg)
    client.post(f"/admin/shops/{shop.code}/close", data={"reason": "歇业"})
    html = client.get(f"/admin/shops/{shop.code}").get_data(as_text=True)
    assert "JY-SOON" in html and "即将到期" in html and shop.entity.uscc in html
    assert "变更记录" in html and "wang.jian" in html and "歇业" in html
    assert html.index("注销") < html.index("登记</strong>")  # newest first
    assert "徐家汇街道" in html


def test_export_xlsx_and_filters(client, login_as):
    from io import BytesIO

    from openpyxl import load_workbook

    make_shop(sign_name="甲", street="华泾镇")
    make_shop(sign_name="乙")
    login_as(make_regulator())
    html, r = job_download(client, client.post("/admin/shops/export.xlsx?street=华泾镇"))
    assert "已导出 1 家商铺" in html
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    rows = list(load_workbook(BytesIO(r.data)).active.iter_rows(values_only=True))
    assert [row[3] for row in rows[1:]] == ["甲"]
    r = job_download(client, client.post("/admin/shops/export.csv"))[1]
    assert r.data.startswith(b"\xef\xbb\xbf") and r.mimetype == "text/csv"
    assert client.post("/admin/shops/export.pdf").status_code == 404


def upload(client, content: bytes, action="check", name="shops.csv"):
    from io import BytesIO

    return client.post("/admin/shops/import", data={"file": (BytesIO(content), name), "action": action},
                       content_type="multipart/form-data")


def csv_bytes(*rows, encoding="utf-8-sig"):
    header = "统一社会信用代码,主体名称,店招名称,地址,街道,业态\n"
    return (header + "".join(",".join(r) + "\n" for r in rows)).encode(encoding)


def test_import_page_checks_then_imports(client, login_as):
    reg = make_regulator()
    login_as(reg)
    assert client.get("/admin/shops/import").status_code == 200
    content = csv_bytes((uscc.generate(), "上海甲公司", "甲店", "徐汇区宜山路1号", "田林街道", "快餐"),
                        (uscc.generate(), "上海乙公司", "乙店", "徐汇区宜山路2号", "田林街道", "便利店"),
                        encoding="gb18030")
    r = upload(client, content, "check")
    assert r.status_code == 200 and "新增 2 家" in r.get_data(as_text=True)
    assert count() == 0
    r = upload(client, content, "import")
    assert r.status_code == 302 and count() == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.import"))
    assert event.actor_id == reg.id and event.after["created"] == 2
    r = upload(client, content, "import")  # the same file again changes nothing
    assert r.status_code == 302 and count() == 2


def test_import_page_reports_bad_rows_and_scope(client, login_as):
    login_as(make_regulator(streets=("田林街道",)))
    content = csv_bytes((uscc.generate(), "上海甲公司", "甲店", "徐汇区宜山路1号", "田林街道", "快餐"),
                        (uscc.generate()[:17] + "Z", "上海乙公司", "乙店", "宜山路2号", "田林街道", "快餐"),
                        (uscc.generate(), "上海丙公司", "丙店", "徐汇区华泾路3号", "华泾镇", "快餐"))
    r = upload(client, content, "import")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "未导入任何数据" in html
    assert "<td>3</td><td>统一社会信用代码</td>" in html
    assert "<td>4</td><td>街道</td><td>该街道不在您的管辖范围：华泾镇</td>" in html
    assert count() == 0
    r = upload(client, b"not,a,registry\n1,2,3\n", "check")
    assert r.status_code == 422 and "缺少必需的列" in r.get_data(as_text=True)
    r = upload(client, b"x", "check", name="shops.pdf")
    assert r.status_code == 422 and count() == 0


def test_import_page_row_limit_and_roles(client, login_as, monkeypatch):
    from huishang.admin import pages

    monkeypatch.setattr(pages, "MAX_UPLOAD_ROWS", 1)
    login_as(make_regulator())
    content = csv_bytes((uscc.generate(), "甲", "甲店", "地址1", "田林街道", "快餐"),
                        (uscc.generate(), "乙", "乙店", "地址2", "田林街道", "快餐"))
    r = upload(client, content, "import")  # over the page's limit: checked and written by a job
    assert r.status_code == 302 and "/admin/jobs/" in r.headers["Location"] and count() == 2
    r = upload(client, content, "check")
    assert r.status_code == 422 and "命令行" in r.get_data(as_text=True)
    client.post("/logout")
    login_as(make_inspector())
    assert client.get("/admin/shops/import").status_code == 403
    assert upload(client, content, "import").status_code == 403


def test_audit_trail_names_every_feature_s_actions_in_the_readers_language(client, login_as):
    """Other features' events on the shop's trail read as words, not codes, in Chinese and English."""
    from flask_babel import refresh

    from huishang.services.core import audit

    shop = make_shop()
    for action in ("inspection.create", "plan.assign", "complaint.forward", "review.hide", "made.up"):
        audit.record(action, shop)
    db.session.commit()
    login_as(make_regulator())
    html = client.get(f"/admin/shops/{shop.code}").get_data(as_text=True)
    for label in ("录入检查", "分派检查", "投诉：转交商户", "隐藏点评", "made.up"):
        assert f"<strong>{label}</strong>" in html, label
    assert "<strong>inspection.create</strong>" not in html
    refresh()
    html = client.get(f"/admin/shops/{shop.code}?lang=en").get_data(as_text=True)
    refresh()
    for label in ("Inspection recorded", "Inspection assigned", "Complaint: Forward to merchant", "Review hidden"):
        assert f"<strong>{label}</strong>" in html, label
