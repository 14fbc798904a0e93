"""商业综合体 (commercial complexes): registering and changing them, their property managers, and how
close two complex names are (the shop import warns before it creates 港汇恒隆广场 next to 港汇广场).

Used by the regulators' complex page, `/api/v1/complexes` and the shop import (which creates the
complexes its file names and the registry does not know, see `importing`). Every function validates
first and writes nothing on bad input; it flushes, and the caller commits once. Every change is
audited (`complex.create`, `complex.update`). A street regulator creates and changes complexes only
in their streets.
"""
from __future__ import annotations

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Complex, Shop, Street, User
from huishang.models.scope import scoped
from huishang.services import DomainError
from huishang.services.core import Report, audit, clean_text, text_field

from . import fields
from .shops import Lookups

NAME = text_field("name", 100)
ADDRESS = text_field("address", 200)
STREET = fields.STREET
# Generic words a complex's name ends with; two names that differ only by them are "close".
GENERIC_WORDS = ("购物中心", "广场", "中心", "商场", "商城", "大厦")
# Cores one edit apart are "close" when both have at least this many characters.
MIN_EDIT_CORE = 3
AUDITED = ("name", "address", "street_id")


# -- names ---------------------------------------------------------------------------------------

def core_name(name: str) -> str:
    """The name without blanks and without the generic words (广场, 中心, 商场, 购物中心, 商城, 大厦)."""
    core = clean_text(name).replace(" ", "")
    for word in GENERIC_WORDS:
        core = core.replace(word, "")
    return core


def close_names(a: str, b: str) -> bool:
    """Whether two different complex names are close enough that one may be a misspelling or a
    shortening of the other. The rule, on the names' cores (`core_name`: without blanks and the
    generic words): one core contains the other and the shorter has at least two characters
    (港汇广场 ~ 港汇恒隆广场, 日月光 ~ 日月光中心), or the cores are one edit apart (a character
    added, dropped or replaced) and both have at least `MIN_EDIT_CORE` characters (美罗城 ~ 美罗成;
    but 万科广场 / 万达广场, cores of two characters, are not close). The same name is not "close"."""
    a, b = clean_text(a), clean_text(b)
    if not a or not b or a == b:
        return False
    shorter, longer = sorted((core_name(a), core_name(b)), key=len)
    if len(shorter) >= 2 and shorter in longer:
        return True
    return len(shorter) >= MIN_EDIT_CORE and edit_distance(shorter, longer) <= 1


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, replacements of one character)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similar_to(name: str, others) -> list[str]:
    """The names in `others` close to `name` (see `close_names`), in their order."""
    return [other for other in others if close_names(name, other)]


# -- reading -------------------------------------------------------------------------------------

def scoped_complexes(user):
    """SELECT of the complexes in the user's streets, by name."""
    return scoped(select(Complex), user, Complex.street_id).order_by(Complex.name)


def managers(cx: Complex) -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "property", User.complex_id == cx.id)
                                   .order_by(User.display_name, User.username)))


def tenant_count(cx: Complex) -> int:
    """Its shops that are not closed."""
    return db.session.scalar(select(func.count()).select_from(Shop).where(
        Shop.complex_id == cx.id, Shop.status != "closed")) or 0


def property_accounts() -> list[User]:
    """Every active property-manager account (the choices of the managers field)."""
    return list(db.session.scalars(select(User).where(User.role == "property", User.active.is_(True))
                                   .order_by(User.display_name, User.username)))


# -- writing -------------------------------------------------------------------------------------

def validate_complex(data: dict, *, partial: bool = False, current: Complex | None = None,
                     lookups=None) -> tuple[dict, dict]:
    """Check a complex record (form, API body). Returns (clean, errors); writes nothing."""
    lookups = lookups or Lookups.load()
    report = Report(data)
    if not partial:
        report.require("name", "street")
    else:
        report.require("name", "street", when_given=True)
    name = report.take(NAME)
    report.take(ADDRESS)
    report.take(STREET, lookups)
    if name and (current is None or name != current.name):
        if db.session.scalar(select(Complex.id).where(Complex.name == name)) is not None:
            report.add("name", N_("已有同名商业综合体：%(name)s", name=name))
    if "managers" in data:
        report.clean["managers"] = _manager_accounts(report, data["managers"])
    return report.clean, report.errors


def _manager_accounts(report: Report, usernames) -> list[User]:
    if usernames is None or isinstance(usernames, str):
        usernames = [u for u in (usernames or "").split(",") if u.strip()]
    wanted = [clean_text(u) for u in usernames if clean_text(u)]
    accounts = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(wanted or [""]), User.role == "property"))}
    unknown = [u for u in wanted if u not in accounts]
    for username in unknown:
        report.add("managers", N_("没有这个物业账户：%(name)s", name=username))
    return [accounts[u] for u in dict.fromkeys(wanted) if u in accounts]


def _check_scope(user, street_id: int | None, managers_wanted: list[User] | None, cx: Complex | None) -> None:
    if user is None:  # the command line: the whole district
        return
    if street_id is not None and not user.covers_street(street_id):
        raise DomainError(N_("该街道不在您的管辖范围"), {"street": [N_("该街道不在您的管辖范围")]}, status=403)
    for account in managers_wanted or []:
        elsewhere = account.complex
        if elsewhere is not None and elsewhere is not cx and not user.covers_street(elsewhere.street_id):
            raise DomainError(N_("该物业账户管理的综合体不在您的管辖范围"),
                              {"managers": [N_("%(name)s 管理的%(complex)s不在您的管辖范围",
                                               name=account.label, complex=elsewhere.name)]}, status=403)


def _set_managers(cx: Complex, wanted: list[User]) -> tuple[list[str], list[str]]:
    """Attach `wanted` to the complex (a property account manages one complex: it leaves its old
    one), detach the others. Returns (before, after) as lists of account names."""
    before = [u.label for u in managers(cx)]
    for account in managers(cx):
        if account not in wanted:
            account.complex_id = None
    for account in wanted:
        account.complex_id = cx.id
    db.session.flush()
    return before, [u.label for u in wanted]


def create_complex(data: dict, *, actor=None, user=None, source: str = "") -> Complex:
    """Register a complex. `user`: the regulator whose street scope applies (None: the command
    line). Raises DomainError (422) naming each bad field, 403 outside the user's streets."""
    clean, errors = validate_complex(data)
    if errors:
        raise DomainError(N_("商业综合体信息有误"), errors)
    wanted = clean.pop("managers", None)
    _check_scope(user, clean["street_id"], wanted, None)
    cx = Complex(name=clean["name"], address=clean.get("address", ""), street_id=clean["street_id"])
    db.session.add(cx)
    db.session.flush()
    after = audit_values(cx)
    if source:
        after["source"] = source
    if wanted:
        after["managers"] = _set_managers(cx, wanted)[1]
    audit.record("complex.create", cx, actor=actor if actor is not None else user, after=after)
    return cx


def update_complex(cx: Complex, data: dict, *, actor=None, user=None) -> Complex:
    """Change a complex's name, address, street or managers (only what `data` holds)."""
    if user is not None and not cx.can_change(user):
        raise DomainError(N_("该商业综合体不在您的管辖范围"), status=403)
    clean, errors = validate_complex(data, partial=True, current=cx)
    if errors:
        raise DomainError(N_("商业综合体信息有误"), errors)
    wanted = clean.pop("managers", None)
    _check_scope(user, clean.get("street_id"), wanted, cx)
    before = audit_values(cx)
    for key, value in clean.items():
        setattr(cx, key, value)
    db.session.flush()
    after = audit_values(cx)
    changed_before = {k: v for k, v in before.items() if after[k] != v}
    changed_after = {k: after[k] for k in changed_before}
    if wanted is not None:
        old, new = _set_managers(cx, wanted)
        if sorted(old) != sorted(new):
            changed_before["managers"], changed_after["managers"] = old, new
    if changed_after:
        audit.record("complex.update", cx, actor=actor if actor is not None else user,
                     before=changed_before, after=changed_after)
    return cx


def audit_values(cx: Complex) -> dict:
    """The complex as the change record shows it: names, not ids."""
    street = db.session.get(Street, cx.street_id) if cx.street_id else None
    return {"name": cx.name, "address": cx.address or "", "street": street.name if street else ""}


def get_complex(complex_id: int) -> Complex | None:
    return db.session.get(Complex, complex_id)


def name_taken(name: str) -> bool:
    return db.session.scalar(select(Complex.id).where(Complex.name == clean_text(name))) is not None

