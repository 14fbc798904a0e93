"""双随机、一公开 — random draws of inspection targets and inspector pairs.

A draw samples the filtered population per credit class at the class's ratio, then pairs each
target with two inspectors drawn at random from those covering the target's street, leaving out
any inspector excluded for a conflict with that shop. Everything random comes from one
`random.Random(seed)`; the seed and snapshots of both pools are stored, so `replay(draw)`
reproduces the identical draw. Results are public (`/draws/<id>`) without the credit class.
"""

from __future__ import annotations

import math
import random
import secrets
from datetime import date

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, Entity, Inspection, Shop, Street, User, today
from huishang.models.grading import CREDIT_CLASSES, DrawTarget, RandomDraw
from huishang.models.inspections import OUTCOME_LABELS
from huishang.models.scope import scoped
from huishang.models.users import user_streets
from huishang.services import DomainError, registry
from huishang.services.core import audit, report_into

from .rules import load_rules, sampling_ratio

MAX_SEED = 64


def sample_size(count: int, ratio: float) -> int:
    """Targets from a class of `count` shops: the ratio rounded up (any non-zero ratio of a
    non-empty class draws at least one)."""
    if count <= 0 or ratio <= 0:
        return 0
    return min(count, math.ceil(round(count * ratio, 9)))


def run_draw(population: dict, pool: dict, ratios: dict, exclusions: list, seed: str) -> list[tuple]:
    """The draw itself, a pure function of its inputs.

    population: {"classes": {class: [shop ids]}, "street_of": {shop id: street id}} (JSON keys
    are strings); pool: {street id: [inspector ids]}; exclusions: [[inspector id, shop id]].
    Returns [(shop id, class, inspector id, co-inspector id)] in draw order.
    Raises DomainError when a target's street has fewer than two eligible inspectors.
    """
    # Deliberately a seeded PRNG: the draw must replay from its recorded seed (the seed itself
    # comes from `secrets` when none is given).
    rng = random.Random(seed)  # noqa: S311
    excluded = {(int(u), int(s)) for u, s in exclusions}
    street_of = {int(k): int(v) for k, v in population["street_of"].items()}
    targets = []
    for klass in CREDIT_CLASSES:
        ids = sorted(int(i) for i in population["classes"].get(klass, []))
        for shop_id in rng.sample(ids, sample_size(len(ids), float(ratios.get(klass, 0)))):
            targets.append((shop_id, klass))
    result = []
    for shop_id, klass in targets:
        candidates = sorted(
            int(u) for u in pool.get(str(street_of[shop_id]), []) if (int(u), shop_id) not in excluded
        )
        if len(candidates) < 2:
            shop = db.session.get(Shop, shop_id)  # the message names the shop and its street, never an id
            raise DomainError(
                N_("可抽取的执法人员不足两名"),
                {"inspectors": [N_("%(shop)s（%(street)s）：排除回避后，该街道可抽取的执法人员不足两名",
                                   shop=shop.sign_name, street=shop.street.name)]},
            )
        lead, co = rng.sample(candidates, 2)
        result.append((shop_id, klass, lead, co))
    return result


def _streets(names: list[str], user) -> list[Street]:
    streets = []
    for name in names:
        street = db.session.scalar(select(Street).where(Street.name == name))
        if street is None:
            raise DomainError(N_("未知街道"), {"streets": [N_("未知街道：%(street)s", street=name)]})
        if not user.covers_street(street.id):
            raise DomainError(N_("该街道不在您的管辖范围"), {"streets": [N_("不在管辖范围：%(name)s", name=name)]},
                              status=403)
        streets.append(street)
    if not streets:
        streets = list(db.session.scalars(scoped(select(Street).order_by(Street.position), user, Street.id)))
    return streets


def _population(streets: list[Street], business_type: str | None, classes: list[str]) -> dict:
    query = registry.filter_shops(
        select(Shop.id, Shop.street_id, Shop.credit_class).where(
            Shop.status == "open", Shop.street_id.in_([s.id for s in streets])
        ),
        business_type=business_type or None,
    )
    population = {"classes": {k: [] for k in CREDIT_CLASSES}, "street_of": {}}
    for shop_id, street_id, klass in db.session.execute(query.order_by(Shop.id)):
        klass = klass or "B"
        if klass in classes:
            population["classes"][klass].append(shop_id)
            population["street_of"][str(shop_id)] = street_id
    return population


def _pool(streets: list[Street]) -> dict:
    pool: dict[str, list[int]] = {str(s.id): [] for s in streets}
    for uid, sid in db.session.execute(
        select(User.id, user_streets.c.street_id)
        .join(user_streets, user_streets.c.user_id == User.id)
        .where(
            User.role == "inspector",
            User.active.is_(True),
            user_streets.c.street_id.in_([s.id for s in streets]),
        )
        .order_by(User.id)
    ):
        pool[str(sid)].append(uid)
    return pool


def parse_exclusions(text_or_pairs) -> tuple[list[list[int]], dict]:
    """回避 pairs as [[inspector id, shop id]] from lines "username shop_code" (or a list of
    {"inspector": username, "shop_code": code}). Returns (pairs, errors)."""
    errors: dict[str, list[str]] = {}
    entries = []
    if isinstance(text_or_pairs, str):
        for n, line in enumerate(text_or_pairs.splitlines(), 1):
            parts = line.replace(",", " ").replace("，", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                errors.setdefault("exclusions", []).append(N_("第%(n)s行应为“执法人员用户名 商铺码”", n=n))
                continue
            entries.append((n, parts[0], parts[1]))
    else:
        for n, pair in enumerate(text_or_pairs or [], 1):
            entries.append((n, str(pair.get("inspector", "")), str(pair.get("shop_code", ""))))
    pairs = []
    for n, username, code in entries:
        user = db.session.scalar(select(User).where(User.username == username, User.role == "inspector"))
        shop = registry.get_shop(code)
        if user is None:
            errors.setdefault("exclusions", []).append(
                N_("第%(n)s项：未知执法人员 %(username)s", n=n, username=username))
        if shop is None:
            errors.setdefault("exclusions", []).append(N_("第%(n)s项：未知商铺码 %(code)s", n=n, code=code))
        if user and shop:
            pairs.append([user.id, shop.id])
    return pairs, errors


def create_draw(data: dict, *, actor) -> RandomDraw:
    """Run and record a draw. `data`: title, streets (names), business_type, credit_classes,
    ratios ({class: fraction}, default the rules), seed (optional), exclusions. Raises
    DomainError naming the field."""
    errors: dict[str, list[str]] = {}
    title = registry.clean_text(data.get("title")) or f"{today().isoformat()} 双随机抽查"
    if len(title) > 120:
        errors["title"] = [N_("不能超过120个字符")]
    seed = registry.clean_text(data.get("seed")) or secrets.token_hex(16)
    if len(seed) > MAX_SEED:
        errors["seed"] = [N_("不能超过%(max)s个字符", max=MAX_SEED)]
    classes = [c for c in (data.get("credit_classes") or CREDIT_CLASSES)]
    if not classes or not set(classes) <= set(CREDIT_CLASSES):
        errors["credit_classes"] = [N_("应为 A/B/C/D 中的一项或多项")]
    ratios = dict(load_rules()["sampling_ratios"])
    for klass, value in (data.get("ratios") or {}).items():
        checked = report_into(errors, f"ratios.{klass}", sampling_ratio, value if klass in CREDIT_CLASSES else None)
        if checked is not None:
            ratios[klass] = checked
    bt = data.get("business_type") or None
    if (
        bt
        and db.session.scalar(
            select(BusinessType.id).where((BusinessType.code == bt) | (BusinessType.name == bt))
        )
        is None
    ):
        errors["business_type"] = [N_("未知业态：%(code)s", code=bt)]
    exclusions, ex_errors = parse_exclusions(data.get("exclusions") or "")
    errors.update(ex_errors)
    if errors:
        raise DomainError(N_("抽查条件有误"), errors)
    streets = _streets(list(data.get("streets") or []), actor)
    population = _population(streets, bt, classes)
    pool = _pool(streets)
    drawn = run_draw(population, pool, ratios, exclusions, seed)
    draw = RandomDraw(
        title=title,
        seed=seed,
        ratios=ratios,
        population=population,
        inspector_pool=pool,
        exclusions=exclusions,
        drawn_on=today(),
        created_by_id=actor.id,
        filters={"streets": [s.name for s in streets], "business_type": bt, "credit_classes": classes},
    )
    for position, (shop_id, klass, lead, co) in enumerate(drawn, 1):
        draw.targets.append(
            DrawTarget(
                position=position, shop_id=shop_id, credit_class=klass, inspector_id=lead, co_inspector_id=co
            )
        )
    db.session.add(draw)
    db.session.flush()
    audit.record(
        "draw.create",
        draw,
        actor=actor,
        after={
            "seed": seed,
            "filters": draw.filters,
            "ratios": ratios,
            "targets": len(drawn),
            "population": sum(len(v) for v in population["classes"].values()),
        },
    )
    return draw


def replay(draw: RandomDraw) -> list[tuple]:
    """Re-run a recorded draw from its seed and snapshots."""
    return run_draw(draw.population, draw.inspector_pool, draw.ratios, draw.exclusions, draw.seed)


def recorded(draw: RandomDraw) -> list[tuple]:
    return [(t.shop_id, t.credit_class, t.inspector_id, t.co_inspector_id) for t in draw.targets]


def population_size(draw: RandomDraw) -> int:
    return sum(len(v) for v in draw.population["classes"].values())


def results(draw: RandomDraw) -> list[dict]:
    """The public view of each target: entity, shop, inspectors' names and the outcome of the
    first inspection on or after the draw. No credit class, no inspector contact data."""
    shop_ids = [t.shop_id for t in draw.targets]
    first: dict[int, tuple[date, str]] = {}
    for shop_id, on, outcome in db.session.execute(
        select(Inspection.shop_id, Inspection.inspected_on, Inspection.outcome)
        .where(Inspection.shop_id.in_(shop_ids or [-1]), Inspection.inspected_on >= draw.drawn_on)
        .order_by(Inspection.inspected_on, Inspection.id)
    ):
        first.setdefault(shop_id, (on, outcome))
    rows = []
    for t in draw.targets:
        shop = t.shop
        entity = db.session.get(Entity, shop.entity_id)
        on, outcome = first.get(t.shop_id, (None, None))
        rows.append(
            {
                "position": t.position,
                "entity_name": entity.name,
                "uscc": entity.uscc,
                "shop_code": shop.code,
                "sign_name": shop.sign_name,
                "address": shop.address,
                "street": shop.street.name,
                "inspectors": [u.label for u in (t.inspector, t.co_inspector) if u],
                "inspected_on": on.isoformat() if on else None,
                "outcome": outcome,
                "outcome_label": OUTCOME_LABELS.get(outcome, "尚未检查"),
            }
        )
    return rows
