"""Factories for tests: real rows through the real services."""
import itertools

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import BusinessType, Complex, Street
from huishang.services import registry, uscc
from huishang.services.accounts import create_user

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
