"""Factories for tests: real rows through the real services."""
import itertools

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import BusinessType, Complex, Street
from huishang.services import registry
from huishang.services.accounts import create_user
from huishang.services.registry import uscc

_seq = itertools.count(1)
PASSWORD = "password123"


def street(name="徐家汇街道") -> Street:
    return db.session.scalar(select(Street).where(Street.name == name))


def business_type(code="catering.fast_food") -> BusinessType:
    return db.session.scalar(select(BusinessType).where(BusinessType.code == code))


def make_complex(name="港汇恒隆广场", street_name="徐家汇街道") -> Complex:
    existing = db.session.scalar(select(Complex).where(Complex.name == name))
    if existing:
        return existing
    cx = Complex(name=name, address="虹桥路1号", street=street(street_name))
    db.session.add(cx)
    db.session.flush()
    return cx


def make_shop(**overrides):
    n = next(_seq)
    data = {
        "uscc": uscc.generate(), "entity_name": f"上海测试餐饮有限公司{n}", "sign_name": f"测试小馆{n}",
        "address": f"徐汇区漕溪北路{n}号", "street": "徐家汇街道", "business_type": "catering.fast_food",
        "lat": 31.19 + n * 1e-5, "lng": 121.43 + n * 1e-5, "contact": "张三", "phone": "13812341234",
        "registered_on": "2024-01-15",
    }
    data.update(overrides)
    shop = registry.register_shop(data)
    db.session.commit()
    return shop


def make_user(role="regulator", *, streets=(), shops=(), complex_name=None, username=None):
    username = username or f"{role}{next(_seq)}"
    user = create_user(username, role, PASSWORD, streets=streets,
                       shops=[s.code if hasattr(s, "code") else s for s in shops],
                       complex_name=complex_name)
    db.session.commit()
    return user


def make_regulator(**kw):
    return make_user("regulator", **kw)


def make_inspector(streets=("徐家汇街道",), **kw):
    return make_user("inspector", streets=streets, **kw)


def make_merchant(shops=(), **kw):
    return make_user("merchant", shops=shops, **kw)


def make_property(complex_name="港汇恒隆广场", **kw):
    make_complex(complex_name)
    return make_user("property", complex_name=complex_name, **kw)


# -- grading (issue 5): history rows written directly, then the shop-change hook, as the
#    inspections / complaints services do after their own writes.

def add_inspection(shop, on, outcome="pass", *, full=True, deadline=None, closed_on=None, pair=(None, None)):
    """An inspection of `shop` on `on` (and its rectification when `deadline` is given), by the
    inspectors `pair` (lead, co) when given."""
    import secrets as _secrets

    from huishang.models import Inspection, Rectification

    inspection = Inspection(shop_id=shop.id, inspected_on=on, outcome=outcome, full=full, source="import",
                            external_id=f"t-{_secrets.token_hex(6)}", inspector_id=getattr(pair[0], "id", pair[0]),
                            co_inspector_id=getattr(pair[1], "id", pair[1]))
    db.session.add(inspection)
    db.session.flush()
    if deadline is not None:
        db.session.add(Rectification(shop_id=shop.id, inspection_id=inspection.id, deadline=deadline,
                                     closed_on=closed_on))
    registry.after_shop_change(shop)
    db.session.commit()
    return inspection


def add_complaint(shop, substantiated_on, category="food_safety"):
    """A substantiated complaint against `shop`."""
    import secrets as _secrets

    from huishang.models import Complaint

    complaint = Complaint(ticket=f"T{_secrets.token_hex(5)}", tracking_key_hash="x", shop_id=shop.id,
                          category=category, description="测试投诉", status="closed", substantiated=True,
                          substantiated_on=substantiated_on)
    db.session.add(complaint)
    db.session.flush()
    registry.after_shop_change(shop)
    db.session.commit()
    return complaint


def add_penalty(shop, decided_on, severity="general", **extra):
    """A penalty recorded through the penalties service (decided_on may not be in the future)."""
    from huishang.services.grading import penalties

    data = {"decision_no": f"徐市监案〔2026〕{next(_seq)}号", "decided_on": decided_on,
            "violation": "未按规定进行食品留样", "severity": severity, "fine": "5000"}
    data.update(extra)
    penalty = penalties.record_penalty(shop, data)
    db.session.commit()
    return penalty


# -- feedback (reviews, complaints) --------------------------------------------------------------

def make_complaint(shop, *, category="food_safety", kind="complaint", description="饭菜里有头发，店员态度差",
                   phone=None, on=None, client_hash="client-a", status=None, **extra):
    """A complaint filed through the service; `status` then forces a workflow state for table tests."""
    from huishang.services.feedback import complaints

    complaint, key = complaints.submit(shop, {"category": category, "kind": kind, "description": description,
                                              "phone": phone}, client_hash=client_hash, ip_hash="ip-a", on=on)
    if status is not None:
        complaint.status = status
    for name, value in extra.items():
        setattr(complaint, name, value)
    db.session.commit()
    complaint.tracking_key = key
    return complaint


def make_review(shop, *, stars=4, text="", client_hash=None, ip_hash=None, status=None):
    from huishang.services.feedback import reviews

    review = reviews.submit(shop, {"stars": stars, "text": text}, client_hash=client_hash or f"c{next(_seq)}",
                            ip_hash=ip_hash or f"i{next(_seq)}", known_client=True)
    if status is not None:
        review.status = status
        from huishang.services.feedback import recount

        recount(shop)
    db.session.commit()
    return review


def job_download(client, started):
    """Follow a page's job-starting POST (`started`: its 302 to the job page) to the job's file:
    (the job page's HTML, the file's response). In tests jobs run inline, so the file is ready."""
    assert started.status_code == 302 and "/admin/jobs/" in started.headers["Location"], started.status_code
    page = client.get(started.headers["Location"])
    file = client.get(started.headers["Location"] + "/file")
    file.get_data()  # buffered, so that the file on disk can be closed at once
    file.close()
    return page.get_data(as_text=True), file
