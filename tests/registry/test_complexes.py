"""Complexes (商业综合体): the regulators' page and /api/v1/complexes — scoped by street, audited,
bad input named by field with nothing written, property managers chosen by name."""
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Complex
from tests.factories import make_complex, make_inspector, make_property, make_regulator, make_shop


def complex_count():
    return db.session.scalar(select(func.count()).select_from(Complex))


def test_api_create_list_read_and_change(client, auth_header):
    regulator = make_regulator()
    manager = make_property("港汇恒隆广场", username="wuye1")
    manager.display_name = "李物业"
    db.session.commit()
    headers = auth_header(regulator)
    r = client.post("/api/v1/complexes", json={"name": "美罗城", "street": "徐家汇街道", "address": "肇嘉浜路1111号",
                                               "managers": ["wuye1"]}, headers=headers)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["street"] == "徐家汇街道" and body["managers"] == [{"username": "wuye1", "display_name": "李物业"}]
    assert db.session.get(type(manager), manager.id).complex.name == "美罗城"  # moved from 港汇恒隆广场
    listed = client.get("/api/v1/complexes", headers=headers).get_json()
    assert [c["name"] for c in listed] == ["港汇恒隆广场", "美罗城"]
    cid = body["id"]
    r = client.patch(f"/api/v1/complexes/{cid}", json={"address": "肇嘉浜路1111号B1"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["address"] == "肇嘉浜路1111号B1"
    assert client.get(f"/api/v1/complexes/{cid}", headers=headers).get_json()["name"] == "美罗城"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "Complex")
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["complex.create", "complex.update"]
    assert events[0].after["managers"] == ["李物业"] and events[0].actor_label == regulator.username
    assert events[1].before == {"address": "肇嘉浜路1111号"}


def test_api_bad_input_names_the_field_and_writes_nothing(client, auth_header):
    make_complex("美罗城")
    headers = auth_header(make_regulator())
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    cases = [({"street": "徐家汇街道"}, "name"), ({"name": "新城"}, "street"),
             ({"name": "新城", "street": "火星街道"}, "street"), ({"name": "美罗城", "street": "徐家汇街道"}, "name"),
             ({"name": "城" * 101, "street": "徐家汇街道"}, "name"),
             ({"name": "新城", "street": "徐家汇街道", "managers": ["nobody"]}, "managers"),
             ({"name": "新城", "street": "徐家汇街道", "managers": "wuye"}, "managers")]
    for body, name in cases:
        r = client.post("/api/v1/complexes", json=body, headers=headers)
        assert r.status_code == 422, (body, r.get_json())
        assert name in r.get_json()["errors"], (body, r.get_json())
    assert complex_count() == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_street_regulator_sees_and_creates_only_in_their_streets(client, auth_header):
    inside = make_complex("港汇恒隆广场", "徐家汇街道")
    outside = make_complex("汇金百货", "田林街道")
    db.session.commit()
    headers = auth_header(make_regulator(streets=["徐家汇街道"]))
    assert [c["name"] for c in client.get("/api/v1/complexes", headers=headers).get_json()] == ["港汇恒隆广场"]
    assert client.get(f"/api/v1/complexes/{outside.id}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/complexes/{outside.id}", json={"address": "x"}, headers=headers).status_code == 404
    r = client.post("/api/v1/complexes", json={"name": "新城", "street": "田林街道"}, headers=headers)
    assert r.status_code == 403 and "street" in r.get_json()["errors"]
    r = client.patch(f"/api/v1/complexes/{inside.id}", json={"street": "田林街道"}, headers=headers)
    assert r.status_code == 403
    assert complex_count() == 2 and db.session.get(Complex, inside.id).street.name == "徐家汇街道"


def test_only_regulators_use_the_api(client, auth_header):
    make_complex()
    for user in (make_inspector(), make_property()):
        assert client.get("/api/v1/complexes", headers=auth_header(user)).status_code == 403
    assert client.get("/api/v1/complexes").status_code == 401


def test_page_lists_creates_and_edits(client, login_as):
    manager = make_property("港汇恒隆广场", username="wuye2")
    make_shop(complex="港汇恒隆广场")
    manager.display_name = "王经理"
    db.session.commit()
    login_as(make_regulator())
    page = client.get("/admin/complexes").get_data(as_text=True)
    assert "港汇恒隆广场" in page and "王经理" in page and "wuye2" not in page
    form = client.get("/admin/complexes/new").get_data(as_text=True)
    assert "王经理（港汇恒隆广场）" in form
    r = client.post("/admin/complexes/new", data={"name": "", "street": "", "address": ""})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "名称</a>：必填项不能为空" in text and "街道</a>：" in text
    assert complex_count() == 1
    r = client.post("/admin/complexes/new",
                    data={"name": "美罗城", "street": "徐家汇街道", "address": "肇嘉浜路1111号"})
    assert r.status_code == 302
    cx = db.session.scalar(select(Complex).where(Complex.name == "美罗城"))
    r = client.post(f"/admin/complexes/{cx.id}/edit", data={"name": "美罗城", "street": "徐家汇街道",
                                                           "address": "肇嘉浜路1111号", "managers": ["wuye2"]})
    assert r.status_code == 302
    db.session.expire_all()
    assert [u.username for u in db.session.scalars(select(type(manager)).where(
        type(manager).complex_id == cx.id))] == ["wuye2"]
    r = client.post(f"/admin/complexes/{cx.id}/edit", data={"name": "港汇恒隆广场", "street": "徐家汇街道"})
    assert r.status_code == 422 and "已有同名商业综合体" in r.get_data(as_text=True)


def test_page_is_scoped(client, login_as):
    outside = make_complex("汇金百货", "田林街道")
    make_complex("港汇恒隆广场")
    db.session.commit()
    login_as(make_regulator(streets=["徐家汇街道"]))
    page = client.get("/admin/complexes").get_data(as_text=True)
    assert "港汇恒隆广场" in page and "汇金百货" not in page
    assert client.get(f"/admin/complexes/{outside.id}/edit").status_code == 404
    form = client.get("/admin/complexes/new").get_data(as_text=True)
    assert "田林街道" not in form
    r = client.post("/admin/complexes/new", data={"name": "新城", "street": "田林街道"})
    assert r.status_code == 422 and complex_count() == 2
