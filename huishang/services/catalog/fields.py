"""The fields of the catalogue — a business type (业态), a checklist (检查表) and its items, a
row of the cold-chain colour table — one check each, shared by the regulator's pages and the
seed (see `services.core.fields` for the shape). Messages name the field in words."""
from __future__ import annotations

from huishang.i18n import N_
from huishang.services.core import Field, Invalid, blank, clean_text, text

STATIC_RISKS = ("A", "B", "C", "D")  # national grade, low → high (CFDA 2016 风险分级管理办法)
RISK_LABELS = {"A": N_("A 级（低）"), "B": N_("B 级（较低）"), "C": N_("C 级（中）"), "D": N_("D 级（高）")}
COLOURS = ("red", "orange", "yellow", "blue")
COLOUR_LABELS = {"red": N_("红色"), "orange": N_("橙色"), "yellow": N_("黄色"), "blue": N_("蓝色")}
TOPICS = ("food_safety", "market", "cold_chain", "epidemic")
LIMITS = {"type_name": 60, "type_name_en": 80, "name": 120, "name_en": 160, "section": 60, "text": 500,
          "text_en": 800, "basis": 200, "units": 200}


def _required_text(limit: int, message: str):
    def check(value) -> str:
        typed = clean_text(value)
        if not typed:
            raise Invalid(message)
        if len(typed) > limit:
            raise Invalid(N_("不能超过%(max)s个字符", max=limit), value=typed)
        return typed

    return check


def static_risk(value) -> str:
    """静态风险等级 A–D (A/B → 低, C → 中, D → 高 in the nine-grid)."""
    typed = clean_text(value).upper()
    if typed not in STATIC_RISKS:
        raise Invalid(N_("静态风险等级应为 A、B、C 或 D"))
    return typed


def colour(value) -> str | None:
    """The business type's cold-chain colour class: red/orange/yellow/blue or blank (none)."""
    if blank(value):
        return None
    typed = clean_text(value).lower()
    by_label = {"红": "red", "红色": "red", "橙": "orange", "橙色": "orange", "黄": "yellow", "黄色": "yellow",
                "蓝": "blue", "蓝色": "blue"}
    typed = by_label.get(typed, typed)
    if typed not in COLOURS:
        raise Invalid(N_("冷链颜色应为 红色、橙色、黄色、蓝色 或不设"))
    return typed


def topic(value) -> str:
    typed = clean_text(value)
    if typed not in TOPICS:
        raise Invalid(N_("请选择检查表类别"))
    return typed


def position(value, n: int) -> int | None:
    """An item's order number as typed (blank: keep its place)."""
    if blank(value):
        return None
    try:
        return int(clean_text(value))
    except ValueError:
        raise Invalid(N_("第%(n)s项：顺序应为整数", n=n)) from None


TYPE_NAME = Field("name", _required_text(LIMITS["type_name"], N_("请填写业态名称")))
TYPE_NAME_EN = Field("name_en", text(LIMITS["type_name_en"]), max_length=LIMITS["type_name_en"])
STATIC_RISK = Field("static_risk", static_risk)
COLOUR = Field("colour", colour)
CHECKLIST_NAME = Field("name", _required_text(LIMITS["name"], N_("请填写检查表名称")))
CHECKLIST_NAME_EN = Field("name_en", text(LIMITS["name_en"]), max_length=LIMITS["name_en"])
TOPIC = Field("topic", topic)
UNITS = Field("units", text(LIMITS["units"]), max_length=LIMITS["units"])

