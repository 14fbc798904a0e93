"""Scope: the rules every model's `can_view` / `can_change` is built from, and the query helpers that
apply the same street scope to a SELECT.

Regulators and inspectors (staff) are scoped to streets (街道/镇); a regulator with no street covers
the whole district. A merchant is scoped to the shops they hold, a property manager to one complex.
Anonymous callers (Flask-Login's anonymous user, or None) cover nothing.

The object rules live on the models (`Shop.can_view(user)`, `Complaint.can_change(user)`, ...), each
delegating to one of the few rules below or to the shop's / complex's rule, so that a scope is decided
in one place. Lists use `scoped(query, user, column)`: the same street rule, as SQL.
"""
from __future__ import annotations


def signed_in(user) -> bool:
    """A real, signed-in account (not None, not the anonymous user)."""
    return user is not None and bool(getattr(user, "is_authenticated", False))


def supervises(user, street_id: int | None) -> bool:
    """Staff — a regulator or an inspector — whose streets cover `street_id`."""
    return signed_in(user) and user.is_staff and street_id is not None and user.covers_street(street_id)


def regulates(user, street_id: int | None) -> bool:
    """A regulator whose streets cover `street_id`."""
    return signed_in(user) and user.role == "regulator" and street_id is not None and user.covers_street(street_id)


def holds(user, shop) -> bool:
    """The merchant holding `shop`."""
    return signed_in(user) and user.owns_shop(shop)


def manages(user, complex_id: int | None) -> bool:
    """The property manager of the complex `complex_id`."""
    return (signed_in(user) and user.role == "property" and complex_id is not None
            and user.complex_id == complex_id)


# -- the street scope as SQL ------------------------------------------------------------------------


def street_criteria(street_ids, column) -> list:
    """The WHERE criteria keeping rows whose `column` (a street id) is in `street_ids`: none for
    None (the whole district), a criterion matching nothing for an empty set."""
    if street_ids is None:
        return []
    return [column.in_(sorted(street_ids))]


def within_streets(query, street_ids, column):
    """`query` narrowed to rows whose `column` is one of `street_ids` (None: unchanged, the whole
    district; an empty set: no rows). Never raises."""
    return query.where(*street_criteria(street_ids, column))


def scoped(query, user, column):
    """`query` narrowed to the streets `user` covers, `column` naming the street id to filter on
    (`Shop.street_id`, `PlanItem.street_id`, `Complex.street_id`, `Street.id`, ...). A district-wide
    regulator's query comes back unchanged; a user covering no street (an inspector without streets,
    a merchant, a property manager) gets a query that returns no rows."""
    return within_streets(query, user.street_ids(), column)
