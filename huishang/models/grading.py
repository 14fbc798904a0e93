"""九宫格 grading, the 30-day list (30日内待检查单位清单), random draws (双随机) and credit repair.

Rules are data (`GradingRule`), editable by regulators and audited. `ShopGrading` and
`GradeEvent` hold, per shop, the facts the plan query needs so that the list for any day T is one
set-based query: the facts that do not depend on T (last full inspection, routine due dates with
and without a worsening) and the events whose effect holds over a date window (worsenings and
the rectification / complaint triggers).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    exists,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..extensions import db
from .base import utcnow
from .registry import Street
from .scope import holds, scoped, signed_in, supervises

TIERS = ("高", "中", "低")
GRADES = ("良好", "一般", "较差")
REASONS = ("routine", "rectification", "complaint", "new")
REASON_LABELS = {
    "routine": "常规",
    "rectification": "整改到期",
    "complaint": "投诉触发",
    "new": "新登记未检查",
}
PLAN_STATUSES = ("open", "inspected", "not_found", "closed_business")
PLAN_STATUS_LABELS = {
    "open": "待检查",
    "inspected": "已检查",
    "not_found": "查无此店",
    "closed_business": "已停业/注销",
}
CREDIT_CLASSES = ("A", "B", "C", "D")
REPAIR_STATUSES = ("pending", "approved", "rejected")


class GradingRule(db.Model):
    """One rule value (a number, a mapping or a table), keyed by name. Defaults live in
    services/grading.py RULE_DEFAULTS and are seeded as rows."""

    __tablename__ = "grading_rules"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict | list | int | float] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ShopGrading(db.Model):
    """Per-shop facts independent of the day the list is drawn up for (refreshed on every write)."""

    __tablename__ = "shop_gradings"
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    # Copies of the shop's own columns, so the list query filters one narrow table.
    street_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    registered_on: Mapped[date] = mapped_column(Date)
    static_tier: Mapped[str] = mapped_column(String(2))
    base_grade: Mapped[str] = mapped_column(String(4))  # from the latest full inspection
    worse_grade: Mapped[str] = mapped_column(String(4))  # one level worse (never below 较差)
    rank_base: Mapped[int] = mapped_column(Integer)  # list order of the cell (0 = 高·较差 by default)
    rank_worse: Mapped[int] = mapped_column(Integer)
    last_full_on: Mapped[date | None] = mapped_column(Date)
    last_inspected_on: Mapped[date | None] = mapped_column(Date, index=True)
    cycle: Mapped[str] = mapped_column(String(10))  # last inspection date, or "new"
    routine_reason: Mapped[str] = mapped_column(String(10))  # routine | new
    routine_due_base: Mapped[date] = mapped_column(Date)
    routine_due_worse: Mapped[date] = mapped_column(Date)
    # The earliest routine date (with a worsening): with the triggers that hold on T, the plan
    # query's range — a shop below neither cannot be due by T + days.
    floor_due: Mapped[date] = mapped_column(Date)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_shop_gradings_due", "floor_due", "status"),)


class GradeEvent(db.Model):
    """An event that holds over [starts_on, ends_on): a worsening of the dynamic grade
    (effect 'worsen') or a trigger that brings the due date forward to `due_on` ('trigger')."""

    __tablename__ = "grade_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    effect: Mapped[str] = mapped_column(String(8))  # worsen | trigger
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # complaints | penalty | overdue | rectification | complaint
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    ref_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        Index("ix_grade_events_shop_effect", "shop_id", "effect", "starts_on"),
        Index("ix_grade_events_ends_on", "ends_on"),
    )


class PlanItem(db.Model):
    """One shop on the 30-day list for one due cycle (the cycle is the shop's last inspection
    date, so regenerating the list on another day finds the same item and keeps its tracking)."""

    __tablename__ = "plan_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    cycle: Mapped[str] = mapped_column(String(10))
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16))
    static_tier: Mapped[str] = mapped_column(String(2))
    dynamic_grade: Mapped[str] = mapped_column(String(4))
    generated_on: Mapped[date] = mapped_column(Date)  # the list day T it first appeared on
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    co_inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    shop = relationship("Shop")
    inspector = relationship("User", foreign_keys=[inspector_id])
    co_inspector = relationship("User", foreign_keys=[co_inspector_id])

    def can_view(self, user) -> bool:
        """Staff covering the item's street."""
        return supervises(user, self.street_id)

    def can_change(self, user) -> bool:
        """Staff covering the item's street: inspectors close it (not found, business closed);
        assigning it is for regulators, a role the views require on top."""
        return supervises(user, self.street_id)

    __table_args__ = (
        UniqueConstraint("shop_id", "cycle", name="uq_plan_item_cycle"),
        # Items still live for their cycle: an item is closed as inspected only when its shop's
        # cycle has moved on, so the list's tracking is found among these (planning.live_items),
        # however many past cycles the table keeps.
        Index(
            "ix_plan_items_live",
            "shop_id",
            "cycle",
            postgresql_include=["id", "status", "inspector_id", "co_inspector_id", "closed_on"],
            postgresql_where=text("status <> 'inspected'"),
            sqlite_where=text("status <> 'inspected'"),
        ),
        # The list's progress (planning.progress): the items generated since a day, counted by
        # street, inspector and status from a range of this index, not from every past cycle.
        Index(
            "ix_plan_items_generated_on",
            "generated_on",
            postgresql_include=["street_id", "status", "inspector_id", "co_inspector_id"],
        ),
    )


def _new_public_token() -> str:
    """A draw's public id: random, not guessable (grading.draws.new_token makes the same)."""
    return secrets.token_urlsafe(16)


def _default_window_end(context):
    """30 days after the draw when a draw row is made without a window (grading.draws sets one)."""
    return context.get_current_parameters()["drawn_on"] + timedelta(days=30)


class RandomDraw(db.Model):
    """双随机 — a draw, replayable: the seed and the snapshot of both pools are recorded."""

    __tablename__ = "random_draws"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    seed: Mapped[str] = mapped_column(String(64))
    filters: Mapped[dict] = mapped_column(JSON)  # street ids, business type, credit classes
    ratios: Mapped[dict] = mapped_column(JSON)  # credit class -> fraction
    population: Mapped[dict] = mapped_column(JSON)  # class -> [shop ids]; street by shop
    inspector_pool: Mapped[dict] = mapped_column(JSON)  # street id -> [user ids]
    exclusions: Mapped[list] = mapped_column(JSON)  # [[inspector id, shop id], ...]
    drawn_on: Mapped[date] = mapped_column(Date)
    # The inspection window: targets are inspected on drawn_on..window_ends_on. Nothing of the draw
    # is public before it closes (or every target is inspected by its drawn pair) — 双随机、一公开
    # publishes the results after the inspection (国办发〔2015〕58号; SAMR: within 20 days after it).
    window_ends_on: Mapped[date] = mapped_column(Date, default=_default_window_end)
    # Set by grading.draws.publish_due once the window closed or every target is closed; never
    # before. The public finds a draw by `public_token` only (a random token; ids are never public).
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    public_token: Mapped[str] = mapped_column(String(32), unique=True, default=_new_public_token)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    targets: Mapped[list[DrawTarget]] = relationship(
        back_populates="draw", order_by="DrawTarget.position", cascade="all, delete-orphan"
    )

    @property
    def street_names(self) -> set[str]:
        """The streets the draw was made over (always recorded: all of the regulator's by default)."""
        return set((self.filters or {}).get("streets") or [])

    def can_view(self, user) -> bool:
        """Staff covering at least one of its streets (every draw for a district-wide regulator)."""
        if not (signed_in(user) and user.is_staff):
            return False
        return user.district_wide or any(s.name in self.street_names for s in user.streets)

    def can_change(self, user) -> bool:
        """Regulators covering every one of its streets — the rule for making a draw."""
        if not (signed_in(user) and user.role == "regulator"):
            return False
        return user.district_wide or self.street_names <= {s.name for s in user.streets}

    @classmethod
    def in_scope(cls, user) -> list:
        """`can_view` as WHERE criteria for a SELECT of draws: none for a district-wide regulator,
        else "one of the draw's streets is the user's" (an EXISTS over the recorded street names,
        so a page of draws is one query however many draws there are)."""
        if user.street_ids() is None:
            return []
        names = _json_array_items(cls.filters, "streets").table_valued("value")
        mine = scoped(select(literal_column("1")).select_from(names)
                      .join(Street, Street.name == names.c.value), user, Street.id)
        return [exists(mine)]


class DrawTarget(db.Model):
    __tablename__ = "draw_targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("random_draws.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    credit_class: Mapped[str] = mapped_column(String(1))  # internal: never on the public page
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    co_inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    draw: Mapped[RandomDraw] = relationship(back_populates="targets")
    shop = relationship("Shop")
    inspector = relationship("User", foreign_keys=[inspector_id])
    co_inspector = relationship("User", foreign_keys=[co_inspector_id])


class CreditRepair(db.Model):
    """信用修复 — a merchant's application for a fulfilled penalty to stop counting."""

    __tablename__ = "credit_repairs"
    id: Mapped[int] = mapped_column(primary_key=True)
    penalty_id: Mapped[int] = mapped_column(ForeignKey("penalties.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    commitment: Mapped[str] = mapped_column(Text)  # 信用承诺书, public
    applied_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    # 消除危害后果和不良影响: the applicant's statement (SAMR Order 45 Art. 14 (二)).
    harm_statement: Mapped[str] = mapped_column(Text, default="")
    # Each condition of Order 45 Art. 14 as the reviewer found it: {key: {"met": bool, "why": str}}.
    conditions: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    penalty = relationship("Penalty")
    shop = relationship("Shop")
    applicant = relationship("User", foreign_keys=[applicant_id])

    def can_view(self, user) -> bool:
        """Regulators covering the shop's street and the shop's merchant (the applicant's side)."""
        return self.shop.can_regulate(user) or holds(user, self.shop)

    def can_change(self, user) -> bool:
        """Regulators covering the shop's street, who approve or reject it."""
        return self.shop.can_regulate(user)


class _json_array_items(FunctionElement):
    """The text items of the JSON array under `key` in a JSON column, as a table-valued function
    whose one column is `value`: SQLite's json_each, PostgreSQL's json_array_elements_text."""

    inherit_cache = True
    _traverse_internals = [*FunctionElement._traverse_internals, ("key", InternalTraversal.dp_string)]

    def __init__(self, column, key: str):
        self.key = key
        super().__init__(column)


@compiles(_json_array_items)
def _json_each(element, compiler, **kw):
    (column,) = element.clauses
    path = "$." + element.key
    return f"json_each({compiler.process(column, **kw)}, '{path}')"


@compiles(_json_array_items, "postgresql")
def _json_array_elements_text(element, compiler, **kw):
    (column,) = element.clauses
    return f"json_array_elements_text({compiler.process(column, **kw)} -> '{element.key}')"


__all__ = ["GradingRule", "ShopGrading", "GradeEvent", "PlanItem", "RandomDraw", "DrawTarget", "CreditRepair"]
