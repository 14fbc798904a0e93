"""Accounts: the district administrator, creating and changing users, passwords (throttling,
lockout, temporary passwords), and who may manage whose account.

Who manages accounts (issue 14: "Only administrators manage accounts; a street regulator sees and
manages only their streets"):

- the **administrator** (`User.is_admin`, a district-wide regulator) sees and manages every account,
  of every role, including other administrators; it cannot deactivate itself or take away its own
  administrator role (a district is never left without one by a slip);
- a **street regulator** (a regulator with streets, not an administrator) sees and manages only
  inspector and merchant accounts whose whole scope lies in its streets: an inspector all of whose
  streets it covers, a merchant all of whose shops are in its streets. It creates only such accounts,
  and cannot give them a street or shop outside its own;
- nobody else manages accounts (a district-wide regulator who is not an administrator neither: the
  administrator is the district's account manager). The JSON API is for administrators only.

Every change is audited (`user.create`, `user.update`, `user.password_reset`, ...): who, what, before
→ after, never a password (the audit trail drops password fields anyway).
"""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, func, or_, select

from huishang.services import Conflict, DomainError
from huishang.services.core import audit

from ..extensions import db
from ..i18n import N_
from ..models import Complex, Shop, Street, User, utcnow
from ..models.users import ACCOUNT_ROLES, ADMIN, ROLES, user_shops, user_streets

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
MAX_PASSWORD = 200
MAX_USERNAME = 60
MAX_DISPLAY_NAME = 60
MAX_PHONE = 30
# A temporary password: 12 characters without look-alikes (0/O, 1/l/I), read out over the phone.
TEMP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
TEMP_LENGTH = 12
STREET_MANAGED_ROLES = ("inspector", "merchant")


def authenticate(username: str, password: str) -> User:
    """Return the user for good credentials, and record the login (`last_login_at`).

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
    user.last_login_at = now
    db.session.flush()
    return user


# -- the field checks: one per field, shared by `flask setup`, `users create`, the page and the API --


def check_username(value, errors: dict, *, current: User | None = None) -> str:
    username = (value or "").strip()
    if not username:
        errors.setdefault("username", []).append(N_("用户名不能为空"))
    elif len(username) > MAX_USERNAME or any(ch.isspace() for ch in username):
        errors.setdefault("username", []).append(N_("用户名最多60个字符，且不能含空格"))
    elif db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower(),
                                                 User.id != (current.id if current else -1))):
        errors.setdefault("username", []).append(N_("用户名已存在：%(username)s", username=username))
    return username


def check_password(value, errors: dict, *, field: str = "password", confirm=None) -> str:
    password = value or ""
    if len(password) < MIN_PASSWORD:
        errors.setdefault(field, []).append(N_("密码至少%(min)s位", min=MIN_PASSWORD))
    elif len(password) > MAX_PASSWORD:
        errors.setdefault(field, []).append(N_("密码最多200位"))
    elif password.strip() != password or not password.strip():
        errors.setdefault(field, []).append(N_("密码首尾不能是空格"))
    if confirm is not None and confirm != password:
        errors.setdefault("password_confirm", []).append(N_("两次输入的密码不一致"))
    return password


def check_text(value, errors: dict, field: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        errors.setdefault(field, []).append(N_("最多%(n)s个字符", n=limit))
    return text


def check_role(value, errors: dict) -> str:
    role = (value or "").strip()
    if role not in ACCOUNT_ROLES:
        errors.setdefault("role", []).append(
            N_("角色必须是 %(roles)s 之一", roles=", ".join(ACCOUNT_ROLES)))
    return role


def _streets(names, errors) -> list[Street]:
    out = []
    for name in names or ():
        name = (name or "").strip()
        street = db.session.scalar(select(Street).where(or_(Street.name == name, Street.code == name)))
        if street is None:
            errors.setdefault("streets", []).append(N_("未知街道：%(street)s", street=name))
        elif street not in out:
            out.append(street)
    return out


def _shops(codes, errors) -> list[Shop]:
    out = []
    for code in codes or ():
        shop = db.session.scalar(select(Shop).where(Shop.code == (code or "").strip().upper()))
        if shop is None:
            errors.setdefault("shops", []).append(N_("未知商铺码：%(code)s", code=code))
        elif shop not in out:
            out.append(shop)
    return out


def _complex(name, errors) -> Complex | None:
    name = (name or "").strip()
    if not name:
        return None
    found = db.session.scalar(select(Complex).where(Complex.name == name))
    if found is None:
        errors.setdefault("complex", []).append(N_("未知商业综合体：%(complex)s", complex=name))
    return found


@dataclass
class Scope:
    streets: list
    shops: list
    complex: Complex | None


def check_scope(role: str, streets, shops, complex_name, errors: dict) -> Scope:
    """The scope a role may have: streets for staff (none: the whole district for a regulator; an
    administrator is always district-wide), shops for a merchant, one complex for a property manager.
    A scope the role does not use is refused, naming its field."""
    scope = Scope(_streets(streets, errors), _shops(shops, errors), _complex(complex_name, errors))
    if role == ADMIN and scope.streets:
        errors.setdefault("streets", []).append(N_("区管理员负责全区，不能限定街道"))
    if role not in ("regulator", "inspector", ADMIN) and scope.streets:
        errors.setdefault("streets", []).append(N_("只有监管者和执法人员按街道划分"))
    if role != "merchant" and scope.shops:
        errors.setdefault("shops", []).append(N_("只有经营者账户关联商铺"))
    if role != "property" and scope.complex is not None:
        errors.setdefault("complex", []).append(N_("只有物业账户关联商业综合体"))
    if role == "property" and not (complex_name or "").strip():
        errors.setdefault("complex", []).append(N_("物业账户须指定所管理的商业综合体"))
    return scope


# -- who manages whose account ----------------------------------------------------------------


def may_manage_accounts(actor) -> bool:
    """The administrator, or a street regulator (for its streets' inspectors and merchants)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.role != "regulator":
        return False
    return actor.administers or bool(actor.streets)


def manageable_roles(actor) -> tuple[str, ...]:
    if not may_manage_accounts(actor):
        return ()
    return ACCOUNT_ROLES if actor.administers else STREET_MANAGED_ROLES


def _scope_street_ids(role: str, streets, shops) -> set[int]:
    if role == "merchant":
        return {s.street_id for s in shops}
    return {s.id for s in streets}


def within_actor(actor, role: str, streets, shops) -> bool:
    """May `actor` hold an account of `role` with this scope? (The administrator: any.)"""
    if actor.administers:
        return True
    if role not in STREET_MANAGED_ROLES or not may_manage_accounts(actor):
        return False
    ids = _scope_street_ids(role, streets, shops)
    return bool(ids) and ids <= actor.street_ids()


def manages_account(actor, target: User) -> bool:
    if not may_manage_accounts(actor):
        return False
    if actor.administers:
        return True
    return within_actor(actor, target.account_role, target.streets, target.shops)


def accounts_query(actor, *, q: str = "", role: str = "", street_id: int | None = None,
                   active: bool | None = None):
    """The accounts `actor` may see, filtered; ordered by username."""
    query = select(User)
    if not may_manage_accounts(actor):
        return query.where(False)
    if not actor.administers:
        own = sorted(actor.street_ids())
        inspector_ok = (User.role == "inspector") & exists().where(user_streets.c.user_id == User.id) & ~exists(
            select(user_streets.c.user_id).where(user_streets.c.user_id == User.id,
                                                 user_streets.c.street_id.not_in(own)))
        shop_street = select(Shop.street_id).join(user_shops, user_shops.c.shop_id == Shop.id).where(
            user_shops.c.user_id == User.id)
        merchant_ok = (User.role == "merchant") & exists(shop_street) & ~exists(
            shop_street.where(Shop.street_id.not_in(own)))
        query = query.where(or_(inspector_ok, merchant_ok))
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like), User.phone.ilike(like)))
    if role == ADMIN:
        query = query.where(User.role == "regulator", User.is_admin.is_(True))
    elif role == "regulator":
        query = query.where(User.role == "regulator", User.is_admin.is_(False))
    elif role in ROLES:
        query = query.where(User.role == role)
    if street_id is not None:
        in_street = or_(
            exists().where(user_streets.c.user_id == User.id, user_streets.c.street_id == street_id),
            exists(select(Shop.id).join(user_shops, user_shops.c.shop_id == Shop.id)
                   .where(user_shops.c.user_id == User.id, Shop.street_id == street_id)),
            exists(select(Complex.id).where(Complex.id == User.complex_id, Complex.street_id == street_id)),
        )
        query = query.where(in_street)
    if active is not None:
        query = query.where(User.active.is_(active))
    return query.order_by(User.username)


# -- writing accounts -------------------------------------------------------------------------


def snapshot(user: User) -> dict:
    """What the audit trail and the API say of an account (never the password)."""
    return {"username": user.username, "display_name": user.display_name, "phone": user.phone,
            "role": user.account_role, "active": bool(user.active),
            "streets": sorted(s.name for s in user.streets), "shops": sorted(s.code for s in user.shops),
            "complex": user.complex.name if user.complex else None}


def any_account() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def any_administrator() -> bool:
    """An active administrator exists. (With every administrator deactivated, `flask setup` may create
    a new one: the way back in for whoever runs the server.)"""
    return db.session.scalar(select(User.id).where(User.is_admin.is_(True), User.role == "regulator",
                                                   User.active.is_(True)).limit(1)) is not None


def _refuse(actor, role, scope: Scope) -> None:
    if actor is not None and getattr(actor, "is_authenticated", False) \
            and not within_actor(actor, role, scope.streets, scope.shops):
        raise DomainError(N_("超出您可管理的账户范围 (outside the accounts you manage)"),
                          {"role" if role not in manageable_roles(actor) else
                           ("shops" if role == "merchant" else "streets"):
                               [N_("只能管理您所辖街道的执法人员和经营者账户")]}, status=403)


def create_user(username: str, role: str, password: str, *, streets=(), shops=(),
                complex_name: str | None = None, display_name: str = "", phone: str = "",
                must_change_password: bool = False, password_confirm=None, actor=None) -> User:
    """Create a user with a role ("admin" for an administrator) and scope. Raises DomainError
    naming each bad field; 403 when `actor` (a signed-in user) may not hold such an account."""
    errors: dict[str, list[str]] = {}
    username = check_username(username, errors)
    role = check_role(role, errors)
    password = check_password(password, errors, confirm=password_confirm)
    display_name = check_text(display_name, errors, "display_name", MAX_DISPLAY_NAME)
    phone = check_text(phone, errors, "phone", MAX_PHONE)
    scope = check_scope(role, streets, shops, complex_name, errors)
    if errors:
        raise DomainError(N_("无法创建用户"), errors)
    _refuse(actor, role, scope)
    user = User(username=username, role="regulator" if role == ADMIN else role, is_admin=role == ADMIN,
                display_name=display_name or username, phone=phone, complex=scope.complex, token_version=0,
                must_change_password=bool(must_change_password), active=True)
    user.set_password(password)
    user.streets = scope.streets
    user.shops = scope.shops
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, actor=actor, after=snapshot(user))
    return user


def create_administrator(username: str, password: str, *, display_name: str = "",
                         password_confirm=None, first_run: bool = False) -> User:
    """The district administrator of `flask setup` (refused once an administrator exists) or of the
    first-run page (`first_run`: refused once any account exists). Nothing is written on refusal."""
    if first_run and any_account():
        raise Conflict(N_("已有账户，首次设置已完成 (setup is done: accounts exist)"))
    if any_administrator():
        raise Conflict(N_("区管理员已存在，未作任何更改 (an administrator exists; nothing changed)"))
    return create_user(username, ADMIN, password, display_name=display_name, password_confirm=password_confirm)


def update_user(user: User, data: dict, *, actor) -> User:
    """Change an account: any of display_name, phone, role, streets, shops, complex, active.
    Validated as a whole (the scope against the resulting role); audited before → after."""
    if not manages_account(actor, user):
        raise DomainError(N_("超出您可管理的账户范围 (outside the accounts you manage)"), status=403)
    errors: dict[str, list[str]] = {}
    before = snapshot(user)
    role = check_role(data["role"], errors) if "role" in data else user.account_role
    display_name = check_text(data.get("display_name", user.display_name), errors, "display_name",
                              MAX_DISPLAY_NAME)
    phone = check_text(data.get("phone", user.phone), errors, "phone", MAX_PHONE)
    streets = data["streets"] if "streets" in data else (before["streets"] if role in
                                                        ("regulator", "inspector") else [])
    shops = data["shops"] if "shops" in data else (before["shops"] if role == "merchant" else [])
    complex_name = data["complex"] if "complex" in data else (before["complex"] if role == "property" else None)
    scope = check_scope(role, streets, shops, complex_name, errors)
    active = bool(data.get("active", user.active))
    if user.id == actor.id and (not active or (user.account_role == ADMIN and role != ADMIN)):
        errors.setdefault("active" if not active else "role", []).append(
            N_("不能停用自己的账户或取消自己的管理员身份"))
    if errors:
        raise DomainError(N_("无法保存账户"), errors)
    _refuse(actor, role, scope)
    user.role = "regulator" if role == ADMIN else role
    user.is_admin = role == ADMIN
    user.display_name = display_name or user.username
    user.phone = phone
    user.streets, user.shops, user.complex = scope.streets, scope.shops, scope.complex
    if active != bool(user.active):
        user.active = active
        if not active:
            user.token_version = (user.token_version or 0) + 1  # ends its sessions and tokens now
    db.session.flush()
    after = snapshot(user)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        action = ("user.deactivate" if changed == {"active"} and not active else
                  "user.reactivate" if changed == {"active"} else "user.update")
        audit.record(action, user, actor=actor, before={k: before[k] for k in sorted(changed)},
                     after={k: after[k] for k in sorted(changed)})
    return user


def temporary_password() -> str:
    return "".join(secrets.choice(TEMP_ALPHABET) for _ in range(TEMP_LENGTH))


def reset_password(user: User, *, actor) -> str:
    """Give `user` a temporary password (returned once, never stored in clear or audited): its
    sessions and API tokens end, and after the next login every page leads to the change-password
    page until it is changed. A locked account is unlocked."""
    if not manages_account(actor, user):
        raise DomainError(N_("超出您可管理的账户范围 (outside the accounts you manage)"), status=403)
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    audit.record("user.password_reset", user, actor=actor, after={"must_change_password": True})
    return password


def change_own_password(user: User, current: str, new: str, confirm: str) -> User:
    """The user's own change (clears a temporary password). Refused, naming the field, when the
    current password is wrong, the new one is too short, repeats the old one or is mistyped."""
    errors: dict[str, list[str]] = {}
    if not user.check_password(current or ""):
        errors["current_password"] = [N_("当前密码不正确")]
    check_password(new, errors, confirm=confirm)
    if not errors and user.check_password(new):
        errors["password"] = [N_("新密码不能与当前密码相同")]
    if errors:
        raise DomainError(N_("密码未修改"), errors)
    user.set_password(new)
    user.must_change_password = False
    db.session.flush()
    audit.record("user.password_change", user, actor=user, after={"must_change_password": False})
    return user
