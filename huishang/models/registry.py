"""The registry: streets, complexes, the business-type catalogue, market entities, shops, licences."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, today, utcnow
from .scope import holds, manages, regulates, supervises

SHOP_STATUSES = ("open", "suspended", "closed")
STATUS_LABELS = {"open": "营业", "suspended": "停业", "closed": "注销"}
STATIC_RISKS = ("A", "B", "C", "D")
COLOURS = ("red", "orange", "yellow", "blue")
# What the 30-day list shows of a shop, carried in ix_shops_plan_order (PostgreSQL INCLUDE).
PLAN_ORDER_INCLUDE = [
    "code",
    "sign_name",
    "address",
    "street_id",
    "static_tier",
    "dynamic_grade",
    "plan_cycle",
    "due_reason",
    "registered_on",
    "plan_item_id",
    "plan_status",
    "plan_inspector_id",
    "plan_co_inspector_id",
    "plan_closed_on",
]


class Street(db.Model):
    """街道 / 镇 — the unit regulators and inspectors are scoped to."""

    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Street {self.name}>"


class Complex(TimestampMixin, db.Model):
    """商业综合体 — a commercial complex whose property manager looks after its tenants."""

    __tablename__ = "complexes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"))
    street: Mapped[Street] = relationship()

    # -- permissions: the complex's rule (its records — reports, notices, messages — follow it) ------
    def can_view(self, user) -> bool:
        """Its property manager, and the regulators covering its street (its message thread and
        reports). Inspectors have no complex pages."""
        return manages(user, self.id) or regulates(user, self.street_id)

    def can_change(self, user) -> bool:
        """The same people: the manager reports, relays and writes; the regulators decide and answer."""
        return self.can_view(user)


class BusinessType(db.Model):
    """业态 — a node of the catalogue tree. Leaves are what shops are filed under."""

    __tablename__ = "business_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("business_types.id"))
    family: Mapped[str] = mapped_column(String(20))  # catering | food_sales | group_meal | non_food
    is_food: Mapped[bool] = mapped_column(Boolean, default=False)
    static_risk: Mapped[str | None] = mapped_column(String(1))  # national grade A–D
    colour: Mapped[str | None] = mapped_column(String(10))  # cold-chain class, or null
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[BusinessType | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[BusinessType]] = relationship(back_populates="parent")


class Entity(TimestampMixin, db.Model):
    """市场主体 — the legal business, identified by its unified social credit code."""

    __tablename__ = "entities"
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_rep: Mapped[str] = mapped_column(String(60), default="")
    shops: Mapped[list[Shop]] = relationship(back_populates="entity")


class Shop(TimestampMixin, db.Model):
    """商铺 / 经营场所 — the premises that carries a plate."""

    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    sign_name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    complex_id: Mapped[int | None] = mapped_column(ForeignKey("complexes.id"), index=True)
    business_type_id: Mapped[int] = mapped_column(ForeignKey("business_types.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lng: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    contact: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    opening_hours: Mapped[str] = mapped_column(String(100), default="")
    registered_on: Mapped[date] = mapped_column(Date, default=today)
    closed_on: Mapped[date | None] = mapped_column(Date)
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    canteen_kind: Mapped[str | None] = mapped_column(String(20))  # school | elderly | hospital | company
    # Breakfast offer (早餐网点)
    serves_breakfast: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    breakfast_spend: Mapped[float | None] = mapped_column(Numeric(8, 2))  # yuan per person
    breakfast_wait: Mapped[int | None] = mapped_column(Integer)  # minutes
    breakfast_offer: Mapped[str] = mapped_column(String(300), default="")
    breakfast_hours: Mapped[str] = mapped_column(String(40), default="")
    sign_photo: Mapped[str | None] = mapped_column(String(200))
    # Maintained by the services on every relevant write, so that lists are set-based queries.
    latest_outcome: Mapped[str | None] = mapped_column(String(10))  # pass | partial | fail
    latest_inspected_on: Mapped[date | None] = mapped_column(Date)
    static_tier: Mapped[str | None] = mapped_column(String(2))  # 高 | 中 | 低
    dynamic_grade: Mapped[str | None] = mapped_column(String(4))  # 良好 | 一般 | 较差
    next_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    due_reason: Mapped[str | None] = mapped_column(String(16))
    # The 30-day list for today reads these with the due date (planning.fast_plan_query): the list
    # order of the shop's nine-grid cell (grading.cell_ranks) and its due cycle (the date of its
    # last inspection, or "new"), written with next_due_on by every refresh.
    plan_rank: Mapped[int | None] = mapped_column(SmallInteger)
    plan_cycle: Mapped[str | None] = mapped_column(String(10))
    # ... and the tracking of that cycle's plan item (planning.sync_tracking, after every write to
    # plan items or to the cycle): a copy, so the list is one read with no join.
    plan_item_id: Mapped[int | None] = mapped_column(Integer)
    plan_status: Mapped[str | None] = mapped_column(String(16))
    plan_inspector_id: Mapped[int | None] = mapped_column(Integer)
    plan_co_inspector_id: Mapped[int | None] = mapped_column(Integer)
    plan_closed_on: Mapped[date | None] = mapped_column(Date)
    credit_class: Mapped[str | None] = mapped_column(String(1))  # internal only, never public
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    unresponsive: Mapped[bool] = mapped_column(Boolean, default=False)
    plate_version: Mapped[int] = mapped_column(Integer, default=1)

    entity: Mapped[Entity] = relationship(back_populates="shops")
    street: Mapped[Street] = relationship()
    complex: Mapped[Complex | None] = relationship()
    business_type: Mapped[BusinessType] = relationship()
    licences: Mapped[list[Licence]] = relationship(
        back_populates="shop", cascade="all, delete-orphan", order_by="Licence.expires_on"
    )

    __table_args__ = (
        Index("ix_shops_street_status", "street_id", "status"),
        # The 30-day list for today (planning.fast_plan_query): a range over the maintained due date
        # carrying what a page's counts group and filter by, so PostgreSQL counts from the index alone ...
        Index(
            "ix_shops_due_counts",
            "status",
            "next_due_on",
            postgresql_include=["plan_rank", "registered_on", "street_id"],
        ),
        # ... and the whole list in its order without a sort: open shops by (cell rank, due date, id),
        # carrying every column the list shows, so PostgreSQL answers from the index alone.
        Index(
            "ix_shops_plan_order",
            "plan_rank",
            "next_due_on",
            "id",
            postgresql_include=PLAN_ORDER_INCLUDE,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_active(self) -> bool:
        return self.status == "open"

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else None

    # -- permissions: the shop's rule, which every record about one shop delegates to ---------------
    def can_view(self, user) -> bool:
        """May see the non-public face of the shop (management or supervision): staff covering its
        street, its merchant, the property manager of its complex."""
        return supervises(user, self.street_id) or holds(user, self) or manages(user, self.complex_id)

    def can_change(self, user) -> bool:
        """May change the registry record: regulators covering its street, its merchant (the open
        fields only; the regulated ones go through a change request)."""
        return regulates(user, self.street_id) or holds(user, self)

    def can_inspect(self, user) -> bool:
        """May record an inspection and see the supervision data: staff covering its street."""
        return supervises(user, self.street_id)

    def can_regulate(self, user) -> bool:
        """May take the regulator's decisions about it (penalties, complaints, reviews, questions,
        change requests): regulators covering its street."""
        return regulates(user, self.street_id)

    def licences_valid(self, on: date | None = None) -> bool:
        on = on or today()
        return bool(self.licences) and all(lic.expires_on is None or lic.expires_on >= on
                                           for lic in self.licences)

    def __repr__(self) -> str:
        return f"<Shop {self.code} {self.sign_name}>"


class Licence(TimestampMixin, db.Model):
    """证照 — a licence held for a shop (food business licence, business licence, ...)."""

    __tablename__ = "licences"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40), default="food_business")
    number: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    image_path: Mapped[str | None] = mapped_column(String(200))
    shop: Mapped[Shop] = relationship(back_populates="licences")

    def is_valid(self, on: date | None = None) -> bool:
        return self.expires_on is None or self.expires_on >= (on or today())


class PlateCode(db.Model):
    """Every code a shop's plate has carried. A reissued plate leaves the old code as `replaced`."""

    __tablename__ = "plate_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime)
    replaced_reason: Mapped[str | None] = mapped_column(Text)
    shop: Mapped[Shop] = relationship()


class ScanCount(db.Model):
    """Scans per shop per day by face (citizen | manage | supervise). No personal data."""

    __tablename__ = "scan_counts"
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    face: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class PublishedFace(db.Model):
    """A shop's citizen face as published for one district day and language: the page every
    anonymous scan of the code that day gets, served without rendering (services/scan/faces/
    published.py). Public content only — the same bytes any passer-by sees; no personal data.
    Valid while the shop's version (updated_at, plate_version) is the one it was rendered from and
    the day is today; a change to the shop deletes it in the same transaction."""

    __tablename__ = "published_faces"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    shop_updated_at: Mapped[datetime] = mapped_column(DateTime)
    plate_version: Mapped[int] = mapped_column(Integer)
    headers: Mapped[list] = mapped_column(JSON)
    body: Mapped[bytes] = mapped_column(LargeBinary)
