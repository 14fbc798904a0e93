"""Accounts: creating users and checking passwords with throttling and lockout."""
from datetime import timedelta

from sqlalchemy import select

from huishang.services import DomainError
from huishang.services.core import audit

from ..extensions import db
from ..i18n import N_
from ..models import Complex, Shop, Street, User, utcnow
from ..models.users import ROLES

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8


def authenticate(username: str, password: str) -> User:
    """Return the user for good credentials.

    Raises DomainError(401) for bad credentials (without saying which part was wrong) and
    DomainError(423) while the account is locked after MAX_FAILURES failures in a row.
    """
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        raise DomainError(N_("登录失败次数过多，账户已暂时锁定，请15分钟后再试"), status=423)
    if user is None or not user.active or not user.check_password(password or ""):
        if user is not None:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                audit.record("user.locked", user, actor=user)
            db.session.flush()
        raise DomainError(N_("用户名或密码错误 (wrong username or password)"), status=401)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    return user


def create_user(username: str, role: str, password: str, *, streets=(), shops=(),
                complex_name: str | None = None, display_name: str = "", phone: str = "",
                actor=None) -> User:
    """Create a user with a role and scope. Raises DomainError naming the bad field."""
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = [N_("用户名不能为空")]
    elif db.session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = [N_("用户名已存在：%(username)s", username=username)]
    if role not in ROLES:
        errors["role"] = [N_("角色必须是 %(roles)s 之一", roles=", ".join(ROLES))]
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = [N_("密码至少%(min)s位", min=MIN_PASSWORD)]
    street_objs = []
    for name in streets:
        street = db.session.scalar(select(Street).where(Street.name == name))
        if street is None:
            errors.setdefault("street", []).append(N_("未知街道：%(street)s", street=name))
        street_objs.append(street)
    shop_objs = []
    for code in shops:
        shop = db.session.scalar(select(Shop).where(Shop.code == code.strip().upper()))
        if shop is None:
            errors.setdefault("shop", []).append(N_("未知商铺码：%(code)s", code=code))
        shop_objs.append(shop)
    complex_obj = None
    if complex_name:
        complex_obj = db.session.scalar(select(Complex).where(Complex.name == complex_name))
        if complex_obj is None:
            errors["complex"] = [N_("未知商业综合体：%(complex)s", complex=complex_name)]
    if role == "property" and not complex_name:
        errors["complex"] = [N_("物业账户须指定所管理的商业综合体")]
    if errors:
        raise DomainError(N_("无法创建用户"), errors)
    user = User(username=username, role=role, display_name=display_name or username, phone=phone,
                complex=complex_obj, token_version=0)
    user.set_password(password)
    user.streets = street_objs
    user.shops = shop_objs
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, actor=actor,
                 after={"username": username, "role": role, "streets": list(streets),
                        "shops": list(shops), "complex": complex_name})
    return user
