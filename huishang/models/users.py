"""Users, roles and scopes, and the object checks every view and API call goes through."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import TimestampMixin
from .registry import Complex, Shop, Street
from .scope import manages

ROLES = ("regulator", "inspector", "merchant", "property")
ROLE_LABELS = {"regulator": "监管者", "inspector": "执法人员", "merchant": "经营者", "property": "物业"}

user_streets = Table(
    "user_streets", db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("street_id", ForeignKey("streets.id", ondelete="CASCADE"), primary_key=True),
)
user_shops = Table(
    "user_shops", db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("shop_id", ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, TimestampMixin, db.Model):
    """An account. Regulators and inspectors are scoped to streets (none = whole district for a
    regulator), a merchant to the shops they hold, a property manager to one complex."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(12), index=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(120), default="", server_default="")  # for messages by e-mail
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    complex_id: Mapped[int | None] = mapped_column(ForeignKey("complexes.id"))

    streets: Mapped[list[Street]] = relationship(secondary=user_streets)
    shops: Mapped[list[Shop]] = relationship(secondary=user_shops)
    complex: Mapped[Complex | None] = relationship()

    # -- passwords -------------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.token_version = (self.token_version or 0) + 1  # revokes tokens issued before

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:  # Flask-Login: the session names the password generation too
        return f"{self.id}-{self.token_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    @property
    def label(self) -> str:
        return self.display_name or self.username

    # -- scope ----------------------------------------------------------------------------
    @property
    def is_staff(self) -> bool:
        return self.role in ("regulator", "inspector")

    @property
    def district_wide(self) -> bool:
        """A regulator with no street scope sees the whole district."""
        return self.role == "regulator" and not self.streets

    def street_ids(self) -> set[int] | None:
        """Street ids in scope, or None for the whole district."""
        if self.district_wide:
            return None
        return {s.id for s in self.streets}

    def covers_street(self, street_id: int) -> bool:
        ids = self.street_ids()
        return ids is None or street_id in ids

    def owns_shop(self, shop: Shop) -> bool:
        return self.role == "merchant" and any(s.id == shop.id for s in self.shops)

    def manages_shop(self, shop: Shop) -> bool:
        return manages(self, shop.complex_id)

    # -- object checks: the shop's rule, asked from the user's side ---------------------------
    # `user.can_view(shop)` is `shop.can_view(user)`; `handling.load_shop` names these checks.
    def can_view(self, shop: Shop) -> bool:
        """May see the non-public face of the shop (management or supervision)."""
        return shop.can_view(self)

    def can_edit(self, shop: Shop) -> bool:
        """May change the shop's registry record (merchants: their own shop's open fields)."""
        return shop.can_change(self)

    def can_inspect(self, shop: Shop) -> bool:
        """May record an inspection of the shop."""
        return shop.can_inspect(self)

    def can_supervise(self, shop: Shop) -> bool:
        return shop.can_inspect(self)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
