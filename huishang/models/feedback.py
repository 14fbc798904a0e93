"""Citizen feedback: reviews (点评) and complaints / reports (投诉举报) with their closed loop.

Personal data lives only in a few columns, each marked below: the complainant's phone (seen in
full by the assigned handler only), and the hashed client id / hashed IP used for one-review-
per-30-days, me-too and rate limits (never shown to anyone). The raw IP is never stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .scope import holds

COMPLAINT_CATEGORIES = ("food_safety", "price", "measurement", "service", "hygiene",
                        "false_advertising", "other")
CATEGORY_LABELS = {"food_safety": "食品安全", "price": "价格", "measurement": "计量",
                   "service": "服务质量", "hygiene": "环境卫生", "false_advertising": "虚假宣传",
                   "other": "其他"}
KINDS = ("complaint", "report")
KIND_LABELS = {"complaint": "投诉（要求解决）", "report": "举报（要求查处）"}
# The one plain sentence the citizen reads under each kind (SAMR Order 20, Art. 3).
KIND_HINTS = {
    "complaint": "您自己买东西或接受服务时和商家发生纠纷，希望监管部门调解。需要留姓名和电话。",
    "report": "您发现商家涉嫌违法（如无证经营、卫生问题），希望监管部门查处。可以匿名。",
}
# Who a note on a complaint's step is written for; it reaches only that audience (the desk sees all).
AUDIENCES = ("citizen", "merchant", "internal")
AUDIENCE_LABELS = {"citizen": "告知投诉人/举报人", "merchant": "商户可见", "internal": "内部备注（不公开）"}
STATUS_LABELS = {
    "submitted": "已提交", "accepted": "已受理", "rejected": "不予受理", "forwarded": "已转商户",
    "answered": "商户已答复", "reopened": "已重新打开", "resolved": "已解决",
    "closed_unresolved": "已办结（未解决）", "duplicate": "重复件", "not_our_jurisdiction": "非本部门管辖",
}
CLOSED_STATUSES = ("rejected", "resolved", "closed_unresolved", "duplicate", "not_our_jurisdiction")
OPEN_STATUSES = ("submitted", "accepted", "forwarded", "answered", "reopened")

# The complaint workflow: each action names the statuses it may start from, the status it leads
# to, the role that may take it and its label (the desk's buttons, the change record's words).
@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]
    target: str
    role: str  # regulator | merchant | citizen
    label: str
    note_required: bool = True


HANDLING = ("accepted", "reopened")
TRANSITIONS: dict[str, Step] = {
    "accept": Step(("submitted",), "accepted", "regulator", "受理", note_required=False),
    "reject": Step(("submitted",), "rejected", "regulator", "不予受理"),
    "forward": Step(HANDLING + ("answered",), "forwarded", "regulator", "转交商户"),
    "answer": Step(("forwarded",), "answered", "merchant", "商户答复"),
    "resolve": Step(HANDLING + ("forwarded", "answered"), "resolved", "regulator", "办结（已解决）"),
    "close_unresolved": Step(HANDLING + ("forwarded", "answered"), "closed_unresolved", "regulator",
                             "办结（未解决）"),
    "duplicate": Step(("submitted",) + HANDLING, "duplicate", "regulator", "重复件"),
    "not_our_jurisdiction": Step(("submitted",) + HANDLING, "not_our_jurisdiction", "regulator",
                                 "非本部门管辖"),
    "reopen": Step(CLOSED_STATUSES, "reopened", "citizen", "重新打开"),
}

REVIEW_STATUSES = ("visible", "held", "hidden")  # held = waiting in the moderation queue
REVIEW_TAGS = {  # code → label; positive first
    "clean": "干净卫生", "friendly": "服务热情", "good_value": "价格实惠", "generous": "分量足",
    "fast": "上菜快", "tasty": "味道好", "dirty": "环境差", "rude": "服务差", "pricey": "价格偏高",
    "slow": "等待久",
}


class Complaint(db.Model):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(20), unique=True)
    tracking_key_hash: Mapped[str] = mapped_column(String(128))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="complaint")  # complaint | report
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(30))  # personal data: handling regulator only
    name: Mapped[str | None] = mapped_column(String(40))  # personal data: handling regulator only
    # The citizen agreed to progress messages by SMS (needs a phone); asked on the form, never assumed.
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The citizen's short ticket (8 characters, no look-alikes) and the hash of their 6-digit key;
    # both None on complaints filed before round 4, which keep their TS ticket and 22-character key.
    short_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(128))  # personal data: never shown
    client_hash: Mapped[str | None] = mapped_column(String(64))  # personal data: never shown
    ip_hash: Mapped[str | None] = mapped_column(String(64))  # personal data: never shown
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    substantiated: Mapped[bool] = mapped_column(Boolean, default=False)
    substantiated_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_on: Mapped[date | None] = mapped_column(Date)  # district date
    # The current step's time limit (working days), for the desk's "due today / overdue".
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The first legal limit (services/feedback/complaints/deadlines.CLOCKS): a complaint's accept /
    # reject decision (7 working days), a report's case decision (15 working days).
    legal_due_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)  # starts a complaint's 45-day mediation
    case_extended: Mapped[bool] = mapped_column(Boolean, default=False)  # report: +15 working days approved
    # The clocks the nightly sweep has already flagged overdue (comma-separated codes), so it flags once.
    overdue_clocks: Mapped[str] = mapped_column(String(120), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    forwarded_on: Mapped[date | None] = mapped_column(Date)
    merchant_due_on: Mapped[date | None] = mapped_column(Date)
    merchant_answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    resolution: Mapped[str | None] = mapped_column(Text)  # the closing note told to the citizen
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"))
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    supporters: Mapped[int] = mapped_column(Integer, default=0)  # "me too" count

    shop = relationship("Shop")
    assignee = relationship("User")
    duplicate_of = relationship("Complaint", remote_side=[id])
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="ComplaintEvent.id")
    photos: Mapped[list[ComplaintPhoto]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="ComplaintPhoto.id")

    __table_args__ = (Index("ix_complaints_shop_status", "shop_id", "status"),)

    def can_view(self, user) -> bool:
        """The desk's record: regulators covering the shop's street; the shop's merchant once the
        desk has forwarded it (never the complainant's data: the owner schema). Inspectors see the
        shop's open complaints only as a summary on its supervision face."""
        return self.shop.can_regulate(user) or (self.forwarded_on is not None and holds(user, self.shop))

    def can_change(self, user) -> bool:
        """May take a step of the workflow (which steps, the service decides by role): the same
        people as `can_view`."""
        return self.can_view(user)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def citizen_ticket(self) -> str:
        """What the citizen keeps: the short ticket, or the TS ticket of an older complaint."""
        return self.short_code or self.ticket

    @property
    def named(self) -> bool:
        """A real-name filing (实名): the citizen gave a name and a phone."""
        return bool(self.name and self.phone)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ComplaintEvent(db.Model):
    """One step of a complaint's life: a transition (from → to) or an assignment, with its actor."""

    __tablename__ = "complaint_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(String(12))  # regulator | merchant | citizen | system
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # the step is shown on the complainant's page
    # Who the note is for (AUDIENCES): citizen (tracking page), merchant (their complaint page) or
    # internal (the desk only). The desk always sees every note.
    audience: Mapped[str] = mapped_column(String(10), default="citizen")

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    actor = relationship("User")

    @property
    def to_label(self) -> str:
        return STATUS_LABELS.get(self.to_status, self.to_status)

    @property
    def audience_label(self) -> str:
        return AUDIENCE_LABELS.get(self.audience, self.audience)

    def note_for(self, audience: str) -> str:
        """The note when it is written for `audience`, else "" (the step itself may still show)."""
        return self.note if self.note and self.audience == audience else ""


class ComplaintPhoto(db.Model):
    __tablename__ = "complaint_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(200))  # relative to UPLOAD_DIR; EXIF stripped
    complaint: Mapped[Complaint] = relationship(back_populates="photos")


class ComplaintSupport(db.Model):
    """A "me too" on an open complaint: one per client."""

    __tablename__ = "complaint_supports"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    client_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("complaint_id", "client_hash", name="uq_complaint_supports_client"),)


class ReplyTemplate(db.Model):
    """A reusable reply for the complaint desk (editable by regulators)."""

    __tablename__ = "reply_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Review(db.Model):
    """点评: 1–5 stars, optional text and tags; counted in Shop.rating_* only while visible."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    stars: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(200), default="")  # comma-separated tag codes
    client_hash: Mapped[str] = mapped_column(String(64), index=True)  # personal data: never shown
    ip_hash: Mapped[str] = mapped_column(String(64), index=True)  # personal data: never shown
    status: Mapped[str] = mapped_column(String(10), default="visible")
    flagged: Mapped[str] = mapped_column(String(200), default="")  # why the filter held it
    moderation_reason: Mapped[str | None] = mapped_column(String(300))
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime)
    reply: Mapped[str | None] = mapped_column(Text)
    reply_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    shop = relationship("Shop")

    __table_args__ = (Index("ix_reviews_shop_status", "shop_id", "status", "created_at"),)

    def can_view(self, user) -> bool:
        """Beyond the public page: staff covering the shop's street see it in any status (held,
        hidden); the shop's merchant sees it once published (held ones may hold personal data)."""
        return self.shop.can_inspect(user) or (self.status == "visible" and holds(user, self.shop))

    def can_change(self, user) -> bool:
        """Regulators covering the shop's street moderate it; the shop's merchant replies (the
        service refuses a reply to an unpublished review with 409)."""
        return self.shop.can_regulate(user) or holds(user, self.shop)

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (self.tags or "").split(",") if t]

    @property
    def tag_labels(self) -> list[str]:
        return [REVIEW_TAGS.get(t, t) for t in self.tag_list]
