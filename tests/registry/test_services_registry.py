"""The registry service: check characters, validation, scope queries and audit events."""
import pytest
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import AuditEvent, PlateCode, Shop
from huishang.services import Conflict, DomainError, registry
from huishang.services.registry import codes, uscc
from tests.factories import make_inspector, make_merchant, make_property, make_regulator, make_shop

# Codes printed on well-known companies' business licences (Alibaba China, Tencent Shenzhen, Xiaomi).
KNOWN_GOOD_USCC = ("91330100799655058B", "9144030071526726XG", "91110108551385082Q")


def test_uscc_weights_follow_the_standard():
    # GB 32100-2015: weight of position i is 3^i mod 31; check = 31 - (sum mod 31), 31 → 0.
    assert uscc.WEIGHTS == tuple(pow(3, i, 31) for i in range(17))
    assert len(uscc.ALPHABET) == 31 and not set("IOSVZ") & set(uscc.ALPHABET)


@pytest.mark.parametrize("code", KNOWN_GOOD_USCC)
def test_uscc_known_codes_are_valid(code):
    assert uscc.validate(code) is None
    assert uscc.validate(code.lower()) is None


@pytest.mark.parametrize("code", KNOWN_GOOD_USCC)
def test_uscc_every_wrong_check_character_is_caught(code):
    for ch in uscc.ALPHABET:
        if ch != code[-1]:
            assert uscc.validate(code[:17] + ch) == "统一社会信用代码校验位错误"


def test_uscc_shape_errors_and_full_width():
    assert uscc.validate("9131000060721608") == "统一社会信用代码应为18位"
    assert "非法字符" in uscc.validate("9133010079965505IB")  # I is not in the alphabet
    wide = "".join(chr(ord(c) + 0xFEE0) for c in KNOWN_GOOD_USCC[0])
    assert uscc.validate(wide) is None and uscc.normalise(wide) == KNOWN_GOOD_USCC[0]
    import random

    rng = random.Random(7)
    assert all(uscc.validate(uscc.generate(rng)) is None for _ in range(200))


def test_shop_code_check_character_catches_typos_and_transpositions():
    code = codes.mint()
    assert codes.is_genuine(code) and codes.is_genuine(code.lower()) and len(code) == 9
    for i in range(9):
        for ch in codes.ALPHABET:
            if ch != code[i]:
                assert not codes.is_genuine(code[:i] + ch + code[i + 1:])
    swapped = [code[:i] + code[i + 1] + code[i] + code[i + 2:] for i in range(8) if code[i] != code[i + 1]]
    caught = sum(not codes.is_genuine(s) for s in swapped)
    assert caught >= len(swapped) - 1  # Luhn mod N misses at most the rare pair that sums to N-1
    assert not codes.is_genuine("O0I1LLLLL") and not codes.is_genuine("") and not codes.is_genuine(code + "2")


def test_clean_text_folds_full_width_and_blanks():
    assert registry.clean_text("  ＡＢＣ　１２３\t徐汇  ") == "ABC 123 徐汇"
    assert registry.clean_text(None) == ""
    assert registry.clean_text(12.5) == "12.5"


def test_clean_text_is_the_fold_then_one_space_for_each_run_of_blanks():
    """The fast clean_text (fold only text that has something to fold, str.split for the blanks)
    gives what its definition gives — full-width fold, `\\s+` → one space, trimmed — on random
    text mixing every kind of blank, full-width and CJK characters."""
    import random
    import re

    fold = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
    alphabet = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003\u2028\u3000\u200bab1Ａｚ１～！、，徐汇"
    rng = random.Random(7)
    for _ in range(20_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert registry.clean_text(value) == re.sub(r"\s+", " ", value.translate(fold)).strip(), repr(value)


def test_validate_shop_reports_each_field():
    lookups = registry.Lookups.load()
    clean, errors = registry.validate_shop({"uscc": "123", "street": "火星", "business_type": "x",
                                            "lat": "abc", "lng": "121.4", "registered_on": "2099-01-01",
                                            "serves_breakfast": "也许", "licence_expires": "2027-01-01"},
                                           lookups)
    assert {"uscc", "street", "business_type", "lat", "registered_on", "serves_breakfast", "licence_no",
            "entity_name", "sign_name", "address"} <= set(errors)
    clean, errors = registry.validate_shop(
        {"uscc": KNOWN_GOOD_USCC[0], "entity_name": "甲", "sign_name": "乙", "address": "丙",
         "street": "徐家汇街道", "business_type": "快餐", "status": "停业", "registered_on": "2024年3月5日",
         "cold_chain": "是"}, lookups)
    assert not errors
    assert clean["status"] == "suspended" and str(clean["registered_on"]) == "2024-03-05"
    assert clean["cold_chain"] is True


def test_register_update_close_write_audit_events():
    reg = make_regulator()
    shop = registry.register_shop(
        {"uscc": KNOWN_GOOD_USCC[1], "entity_name": "某公司", "sign_name": "甲店",
         "address": "徐汇区衡山路1号", "street": "天平路街道", "business_type": "正餐", "licence_no": "JY1",
         "licence_expires": "2027-01-01"},
        actor=reg)
    db.session.commit()
    assert codes.is_genuine(shop.code)
    assert db.session.scalar(select(PlateCode.code).where(PlateCode.shop_id == shop.id)) == shop.code
    registry.update_shop(shop, {"phone": "021-64000000", "sign_name": "甲店（新）"}, actor=reg)
    registry.update_shop(shop, {"phone": "021-64000000"}, actor=reg)  # no change → no event
    registry.close_shop(shop, actor=reg, reason="歇业")
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.shop_id == shop.id)
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["shop.register", "shop.update", "shop.close"]
    assert all(e.actor_id == reg.id for e in events)
    assert events[0].after["sign_name"] == "甲店"
    assert events[1].before == {"phone": "", "sign_name": "甲店"}
    assert events[1].after == {"phone": "021-64000000", "sign_name": "甲店(新)"}  # full-width folded
    assert events[2].before == {"status": "open"}
    assert events[2].after == {"status": "closed", "reason": "歇业"}
    with pytest.raises(Conflict):
        registry.close_shop(shop, actor=reg)


def test_bad_input_writes_nothing():
    with pytest.raises(DomainError) as info:
        registry.register_shop({"uscc": KNOWN_GOOD_USCC[0][:17] + "0", "entity_name": "x", "sign_name": "y",
                                "address": "z", "street": "徐家汇街道", "business_type": "快餐"})
    assert "uscc" in info.value.errors
    db.session.rollback()
    assert db.session.scalar(select(Shop.id)) is None
    shop = make_shop()
    code = shop.code
    with pytest.raises(Conflict):
        registry.register_shop({"code": code, "uscc": KNOWN_GOOD_USCC[0], "entity_name": "x",
                                "sign_name": "y", "address": "z", "street": "徐家汇街道",
                                "business_type": "快餐"})
    db.session.rollback()
    with pytest.raises(DomainError):
        registry.update_shop(shop, {"code": codes.mint()})
    with pytest.raises(DomainError) as info:
        registry.update_shop(shop, {"status": "注销"})
    assert "status" in info.value.errors


def test_scoped_shops_per_role():
    a = make_shop(street="徐家汇街道", complex=None)
    b = make_shop(street="华泾镇")
    from tests.factories import make_complex

    make_complex("美罗城")
    c = make_shop(street="徐家汇街道", complex="美罗城")

    def visible(user):
        return {s.id for s in db.session.scalars(registry.scoped_shops(user))}

    assert visible(make_regulator()) == {a.id, b.id, c.id}
    assert visible(make_regulator(streets=("华泾镇",))) == {b.id}
    assert visible(make_inspector(streets=("徐家汇街道",))) == {a.id, c.id}
    assert visible(make_inspector(streets=())) == set()
    assert visible(make_merchant(shops=[b])) == {b.id}
    assert visible(make_property("美罗城")) == {c.id}
