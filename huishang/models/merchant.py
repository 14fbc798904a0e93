"""The merchant and property-manager ends: claim codes, change requests (review queue), staff with
health certificates and vaccination, questions (咨询), policies (政策法规), notifications, reminders
sent, property reports (move-in / move-out), relayed notices and messages to the regulator."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, utcnow
from .registry import BusinessType, Complex, Shop
from .scope import holds, regulates


class ClaimCode(db.Model):
    """A one-time code printed on the welcome letter; stored hashed, single-use, expiring."""

    __tablename__ = "claim_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    shop: Mapped[Shop] = relationship()


CHANGE_STATUSES = ("pending", "approved", "rejected", "withdrawn")
CHANGE_STATUS_LABELS = {"pending": _l("待审核"), "approved": _l("已通过"), "rejected": _l("已驳回"),
                        "withdrawn": _l("已撤回")}


class ChangeRequest(db.Model):
    """A merchant's change to a regulated field (sign name, address, business type, licence),
    waiting for a regulator. `before`/`after` hold display values for the diff; `changes` holds
    the values applied on approval."""

    __tablename__ = "change_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="shop")  # shop | licence
    licence_id: Mapped[int | None] = mapped_column(ForeignKey("licences.id", ondelete="SET NULL"))
    changes: Mapped[dict] = mapped_column(JSON)
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    shop: Mapped[Shop] = relationship()

    def can_view(self, user) -> bool:
        """The shop's merchant and staff covering its street; not the complex's property manager."""
        return self.shop.can_inspect(user) or holds(user, self.shop)

    def can_change(self, user) -> bool:
        """May decide it (approve, reject): regulators covering the shop's street."""
        return self.shop.can_regulate(user)

    @property
    def status_label(self) -> str:
        return CHANGE_STATUS_LABELS.get(self.status, self.status)


class Staff(TimestampMixin, db.Model):
    """从业人员 — personal data: the shop's merchants and in-scope regulators only."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(30), default="")
    role: Mapped[str] = mapped_column(String(40), default="")  # post: 厨师, 服务员, ...
    health_cert_no: Mapped[str] = mapped_column(String(60), default="")
    health_cert_expires: Mapped[date | None] = mapped_column(Date, index=True)
    vaccine_doses: Mapped[int] = mapped_column(Integer, default=0)
    vaccine_dates: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates, one per dose
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    shop: Mapped[Shop] = relationship()

    @property
    def masked_name(self) -> str:
        return (self.name[:1] + "*" * max(1, len(self.name) - 1)) if self.name else ""


policy_business_types = Table(
    "policy_business_types", db.metadata,
    Column("policy_id", ForeignKey("policies.id", ondelete="CASCADE"), primary_key=True),
    Column("business_type_id", ForeignKey("business_types.id", ondelete="CASCADE"), primary_key=True),
)


class Policy(TimestampMixin, db.Model):
    """政策法规 — published by regulators, tagged by business type (no tag: every merchant)."""

    __tablename__ = "policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200), default="")  # issuing body / document number
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    business_types: Mapped[list[BusinessType]] = relationship(secondary=policy_business_types)


class Question(db.Model):
    """咨询 — a merchant's question to the regulator, due within 2 working days."""

    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    attachment: Mapped[str | None] = mapped_column(String(200))
    asked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    faq_published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    faq_question: Mapped[str | None] = mapped_column(Text)  # edited for publication, no identity
    faq_answer: Mapped[str | None] = mapped_column(Text)
    shop: Mapped[Shop] = relationship()

    def can_view(self, user) -> bool:
        """The shop's merchant who asked, and regulators covering the shop's street."""
        return self.shop.can_regulate(user) or holds(user, self.shop)

    def can_change(self, user) -> bool:
        """May answer it and publish it to the FAQ: regulators covering the shop's street."""
        return self.shop.can_regulate(user)

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class Notification(db.Model):
    """An in-app notice to one user (the notification centre)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)


class ReminderSent(db.Model):
    """One row per (subject, threshold, expiry date): a reminder is sent exactly once; a renewed
    licence (new expiry date) starts a new cycle."""

    __tablename__ = "reminders_sent"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20))  # licence | health_cert
    subject_id: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)  # days before expiry: 30 | 7 | 0
    expires_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "threshold", "expires_on",
                                       name="uq_reminder_once"),)


REPORT_KINDS = ("move_in", "move_out")
REPORT_STATUSES = ("pending", "confirmed", "rejected")
REPORT_LABELS = {"move_in": _l("入驻"), "move_out": _l("撤场"), "pending": _l("待确认"),
                 "confirmed": _l("已确认"), "rejected": _l("已退回")}


class PropertyReport(db.Model):
    """A property manager's move-in (a pending new shop) or move-out (a shop to close)."""

    __tablename__ = "property_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    complex_id: Mapped[int] = mapped_column(ForeignKey("complexes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="SET NULL"))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    effective_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    complex: Mapped[Complex] = relationship()
    shop: Mapped[Shop | None] = relationship()

    def can_view(self, user) -> bool:
        """As its complex: the complex's property manager and regulators covering its street."""
        return self.complex.can_view(user)

    def can_change(self, user) -> bool:
        """May decide it (confirm, reject): regulators covering the complex's street. Its manager
        files it and cannot change it afterwards."""
        return regulates(user, self.complex.street_id)

    @property
    def kind_label(self) -> str:
        return REPORT_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return REPORT_LABELS[self.status]


class Notice(db.Model):
    """A notice a property manager relays to every tenant of the complex."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    complex_id: Mapped[int] = mapped_column(ForeignKey("complexes.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Message(db.Model):
    """One message in a complex's thread with the regulator."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    complex_id: Mapped[int] = mapped_column(ForeignKey("complexes.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_regulator: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)  # by the other side
