"""The presenter of the top navigation (templates/_nav.html and the merchant and property menus).

`web.py` calls `nav(current_user)` in its one context processor, so every page gets `nav`; it is
the only per-user data that base.html needs. It costs no query for visitors and staff (a street
regulator: its streets, to offer the accounts page), and one COUNT for a merchant (unread
notifications) or a property manager (unread regulator messages).
"""
from typing import NamedTuple

from huishang.services import accounts
from huishang.services import property as property_service
from huishang.services.core import notifications


class Nav(NamedTuple):
    unread_notifications: int = 0  # merchant: the badge on 消息通知
    unread_messages: int = 0  # property manager: the badge on 联系监管部门
    manages_accounts: bool = False  # the administrator or a street regulator: 账户管理


def nav(user) -> Nav:
    """What the navigation shows for `user` (anonymous, or no request at all: nothing)."""
    if not getattr(user, "is_authenticated", False):
        return Nav()
    if user.role == "merchant":
        return Nav(unread_notifications=notifications.unread_count(user))
    if user.role == "property" and user.complex_id is not None:
        return Nav(unread_messages=property_service.unread_for_complex(user.complex_id))
    if user.role == "regulator":
        return Nav(manages_accounts=accounts.may_manage_accounts(user))
    return Nav()
