"""双随机、一公开 — random draws of inspection targets and inspector pairs.

A draw samples the market entities in scope (检查对象名录库 keyed by the unified social credit
code, domain-research §2.1) per credit class at the class's ratio — one target per entity, the
shop chosen at random among that entity's shops in scope — then pairs each target with two
inspectors drawn at random from those covering the shop's street (≥2 inspectors per check),
leaving out any inspector excluded for a conflict with that shop. Everything random comes from one
`random.Random(seed)`; the seed and snapshots of both pools are stored, so `replay(draw)`
reproduces the identical draw for regulators.

一公开 publishes the *results* after the inspection (国办发〔2015〕58号; "within 20 days after the
inspection is over", SAMR 2018; domain-research §2.1): nothing of a draw is public before its
inspection window closes or every target has been inspected by its drawn pair (`results_open`);
`publish_due` then marks it published, and the public finds it only by its random
`public_token`, seeing each target's shop, inspection date and outcome — never the inspectors,
the credit class, the seed or the population snapshot. A target is closed only by the inspection
of the pair drawn for it (谁检查、谁录入、谁公开): an inspection by anyone else does not count.
"""

from __future__ import annotations

import math
import random
import secrets
from datetime import date, timedelta

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
DEFAULT_WINDOW_DAYS = 30  # the inspection window a draw gets unless the regulator sets one
MAX_WINDOW_DAYS = 366
SOURCE = N_("国办发〔2015〕58号“双随机、一公开”：检查结束后公开抽查结果")


def new_token() -> str:
    """The public id of a draw: random and not guessable (ids are sequential and never public)."""
    return secrets.token_urlsafe(16)


def sample_size(count: int, ratio: float) -> int:
    """Targets from a class of `count` shops: the ratio rounded up (any non-zero ratio of a
    non-empty class draws at least one)."""
    if count <= 0 or ratio <= 0:
        return 0
    return min(count, math.ceil(round(count * ratio, 9)))


def run_draw(population: dict, pool: dict, ratios: dict, exclusions: list, seed: str) -> list[tuple]:
    """The draw itself, a pure function of its inputs.

    population: {"classes": {class: [entity ids]}, "shops_of": {entity id: [shop ids]},
    "street_of": {shop id: street id}} (JSON keys are strings) — one target per entity, its shop
    drawn among its shops in scope. A draw recorded before entities were sampled has no
    "shops_of": its classes list shop ids, and it replays as it was drawn.
    pool: {street id: [inspector ids]}; exclusions: [[inspector id, shop id]].
    Returns [(shop id, class, inspector id, co-inspector id)] in draw order.
    Raises DomainError when a target's street has fewer than two eligible inspectors.
    """
    # Deliberately a seeded PRNG: the draw must replay from its recorded seed (the seed itself
    # comes from `secrets` when none is given).
    rng = random.Random(seed)  # noqa: S311
    excluded = {(int(u), int(s)) for u, s in exclusions}
    street_of = {int(k): int(v) for k, v in population["street_of"].items()}
    shops_of = population.get("shops_of")
    targets = []
    for klass in CREDIT_CLASSES:
        ids = sorted(int(i) for i in population["classes"].get(klass, []))
        for drawn in rng.sample(ids, sample_size(len(ids), float(ratios.get(klass, 0)))):
            if shops_of is None:  # recorded before entities were sampled: the ids are shops
                targets.append((drawn, klass))
            else:
                targets.append((rng.choice(sorted(int(i) for i in shops_of[str(drawn)])), klass))
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
    """The entities in scope (open shops of the streets and business type), each with its shops in
    scope and its credit class (the entity's, shared by its shops: grading.credit)."""
    query = registry.filter_shops(
        select(Shop.id, Shop.street_id, Shop.credit_class, Shop.entity_id).where(
            Shop.status == "open", Shop.street_id.in_([s.id for s in streets])
        ),
        business_type=business_type or None,
    )
    shops_of: dict[str, list[int]] = {}
    class_of: dict[str, str] = {}
    street_of: dict[str, int] = {}
    for shop_id, street_id, klass, entity_id in db.session.execute(query.order_by(Shop.id)):
        key = str(entity_id)
        shops_of.setdefault(key, []).append(shop_id)
        street_of[str(shop_id)] = street_id
        class_of[key] = max(class_of.get(key, "A"), klass or "B")
    population = {"classes": {k: [] for k in CREDIT_CLASSES}, "shops_of": {}, "street_of": {}}
    for key in sorted(shops_of, key=int):
        if class_of[key] in classes:
            population["classes"][class_of[key]].append(int(key))
            population["shops_of"][key] = shops_of[key]
            for shop_id in shops_of[key]:
                population["street_of"][str(shop_id)] = street_of[str(shop_id)]
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


def _window_end(value, errors: dict) -> date:
    """The last day of the inspection window: today..today+366, default today+30."""
    if value in (None, ""):
        return today() + timedelta(days=DEFAULT_WINDOW_DAYS)
    on = value if isinstance(value, date) else registry.parse_date(value, "window_ends_on", errors)
    if on is None:
        errors.setdefault("window_ends_on", [N_("日期格式应为 YYYY-MM-DD")])
        return today()
    if on < today() or on > today() + timedelta(days=MAX_WINDOW_DAYS):
        errors["window_ends_on"] = [N_("检查期限应在今天至一年之内")]
    return on


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
    window_ends_on = _window_end(data.get("window_ends_on"), errors)
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
        window_ends_on=window_ends_on,
        published=False,
        public_token=new_token(),
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
            "window_ends_on": window_ends_on.isoformat(),
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


def _closing_inspections(draw: RandomDraw) -> dict[int, tuple[date, str]]:
    """Per target shop, the first inspection on or after the draw by the pair drawn for it (in
    either order): the inspection that closes the target. An inspection by anyone else does not."""
    pair_of = {t.shop_id: {t.inspector_id, t.co_inspector_id} for t in draw.targets}
    first: dict[int, tuple[date, str]] = {}
    for shop_id, on, outcome, lead, co in db.session.execute(
        select(Inspection.shop_id, Inspection.inspected_on, Inspection.outcome,
               Inspection.inspector_id, Inspection.co_inspector_id)
        .where(Inspection.shop_id.in_(list(pair_of) or [-1]), Inspection.inspected_on >= draw.drawn_on)
        .order_by(Inspection.inspected_on, Inspection.id)
    ):
        if {lead, co} == pair_of[shop_id] and None not in pair_of[shop_id]:
            first.setdefault(shop_id, (on, outcome))
    return first


def results_open(draw: RandomDraw, on: date | None = None, closing: dict | None = None) -> bool:
    """May the results be public on `on`? Only once the window has closed (the day after its last
    day) or every target has been inspected by its drawn pair (国办发〔2015〕58号: results after
    the inspection)."""
    on = on or today()
    if on > draw.window_ends_on:
        return True
    closing = _closing_inspections(draw) if closing is None else closing
    return all(t.shop_id in closing for t in draw.targets)


def is_public(draw: RandomDraw | None, on: date | None = None) -> bool:
    """What every public output checks: published, and its results open (both, so a flag set by
    mistake still shows nothing before the window closes)."""
    return draw is not None and bool(draw.published) and results_open(draw, on)


def publish_due(on: date | None = None, shop_id: int | None = None) -> int:
    """Mark published every unpublished draw whose results are open on `on` (nightly, from
    `flask plan refresh`; and for the draws of a shop just inspected, on `shop_changed`).
    Returns how many were published; audited; flushes."""
    on = on or today()
    query = select(RandomDraw).where(RandomDraw.published.is_(False))
    if shop_id is not None:
        query = query.where(RandomDraw.id.in_(select(DrawTarget.draw_id).where(DrawTarget.shop_id == shop_id)))
    count = 0
    for draw in db.session.scalars(query.order_by(RandomDraw.id)):
        if results_open(draw, on):
            draw.published = True
            audit.record("draw.publish", draw, after={"published": True, "on": on.isoformat()})
            count += 1
    if count:
        db.session.flush()
    return count


def on_shop_changed(shop) -> None:
    """The `shop_changed` receiver: an inspection may have closed the last target of a draw."""
    publish_due(shop_id=shop.id)


def find_public(token: str, on: date | None = None) -> RandomDraw | None:
    """The draw behind a public token, or None when there is none or it is not public yet."""
    if not token or len(token) > 32:
        return None
    draw = db.session.scalar(select(RandomDraw).where(RandomDraw.public_token == token))
    return draw if is_public(draw, on) else None


def results(draw: RandomDraw) -> list[dict]:
    """Each target for staff in scope: entity, shop, the drawn pair and the outcome of the pair's
    own inspection (none until they inspect). No credit class (added by the views for regulators)."""
    closing = _closing_inspections(draw)
    rows = []
    for t in draw.targets:
        shop = t.shop
        entity = db.session.get(Entity, shop.entity_id)
        on, outcome = closing.get(t.shop_id, (None, None))
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


PUBLIC_KEYS = ("position", "entity_name", "shop_code", "sign_name", "street", "inspected_on", "outcome",
               "outcome_label")


def public_results(draw: RandomDraw, on: date | None = None) -> list[dict]:
    """The public rows of a draw — [] unless it `is_public`: the shop, the date of its inspection
    and the outcome; never the inspectors, the USCC, the credit class."""
    if not is_public(draw, on):
        return []
    return [{k: row[k] for k in PUBLIC_KEYS} for row in results(draw)]


def public_draws(on: date | None = None) -> list[RandomDraw]:
    """Every draw public on `on`, newest first (open data)."""
    rows = db.session.scalars(select(RandomDraw).where(RandomDraw.published.is_(True))
                              .order_by(RandomDraw.drawn_on.desc(), RandomDraw.id.desc()))
    return [d for d in rows if results_open(d, on)]
