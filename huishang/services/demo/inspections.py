"""Demo data for inspections: about 70% of the demo shops get an inspection history over the
past 18 months (some with open rectifications, a few reported done), and about half of them a
recent merchant self-check. One of `district.DEMO_STEPS`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Inspection, InspectionAnswer, SelfCheck
from huishang.services.catalog import checklists
from huishang.services.inspections import apply_to_shop, outcome_of, rectification_days

HISTORY_DAYS = 540
SHARE_INSPECTED = 0.7
SHARE_SELF_CHECKED = 0.5
NOTES = ("现场已口头提醒", "已拍照留证", "负责人在场，当场承诺整改", "记录不完整")


def _answers(rng, template, wanted: str) -> dict[int, str]:
    results = {item.id: ("na" if rng.random() < 0.05 else "pass") for item in template.items}
    general = [i for i in template.items if not i.key]
    key_items = [i for i in template.items if i.key]
    if wanted in ("partial", "fail") and general:
        for item in rng.sample(general, min(len(general), rng.randint(1, 3))):
            results[item.id] = "fail"
    if wanted == "fail" and key_items:
        results[rng.choice(key_items).id] = "fail"
    return results


def _team(ctx, shop):
    inspectors = ctx.users.get("inspector", [])
    regulators = ctx.users.get("regulator", [])
    in_scope = [u for u in inspectors if u.can_inspect(shop)]
    if len(in_scope) >= 2:
        return in_scope[0], in_scope[1]
    staff = regulators + inspectors
    return (staff[0], staff[1]) if len(staff) >= 2 else (staff[0] if staff else None, None)


def _inspect(ctx, shop, template, on, wanted: str) -> Inspection:
    rng = ctx.rng
    lead, co = _team(ctx, shop)
    results = _answers(rng, template, wanted)
    outcome = outcome_of(template.items, results)
    inspection = Inspection(
        shop_id=shop.id,
        template_id=template.id,
        inspected_on=on,
        outcome=outcome,
        inspector_id=getattr(lead, "id", None),
        co_inspector_id=getattr(co, "id", None),
        full=template.topic == "food_safety",
        source="app",
        client_id=f"demo-{shop.code}-{on.isoformat()}-{rng.getrandbits(32):08x}",  # two visits may share a day
    )
    for item_id, result in results.items():
        inspection.answers.append(
            InspectionAnswer(
                item_id=item_id, result=result, note=rng.choice(NOTES) if result == "fail" else ""
            )
        )
    db.session.add(inspection)
    db.session.flush()
    deadline = on + timedelta(days=rectification_days()) if outcome != "pass" else None
    apply_to_shop(shop, inspection, deadline, topic=template.topic, actor=lead)
    return inspection


def demo_step(ctx) -> None:
    """Inspection history and self-checks for the demo shops; harmless when run again."""
    if db.session.scalar(select(Inspection.id).where(Inspection.client_id.like("demo-%")).limit(1)):
        return
    rng, added = ctx.rng, 0
    for shop in ctx.shops:
        inspection_forms = checklists.applicable_templates(shop, "inspection")
        if not inspection_forms or rng.random() > SHARE_INSPECTED:
            continue
        template = inspection_forms[0].template  # food safety first, else the epidemic form
        days = sorted(rng.sample(range(10, HISTORY_DAYS), rng.randint(1, 4)), reverse=True)
        for n, ago in enumerate(days):
            last = n == len(days) - 1
            wanted = rng.choices(("pass", "partial", "fail"), weights=(60, 32, 8))[0]
            inspection = _inspect(ctx, shop, template, ctx.today - timedelta(days=ago), wanted)
            added += 1
            if inspection.outcome != "pass" and not last:
                # the re-inspection that closed it, a couple of weeks later
                _inspect(
                    ctx,
                    shop,
                    template,
                    min(ctx.today, inspection.inspected_on + timedelta(days=rng.randint(8, 20))),
                    "pass",
                )
                added += 1
            elif inspection.outcome != "pass" and rng.random() < 0.4 and inspection.rectification:
                inspection.rectification.reported_done_on = min(
                    ctx.today, inspection.inspected_on + timedelta(days=rng.randint(2, 6))
                )
                inspection.rectification.report_note = "已按要求整改完毕，请复查"
    checks = 0
    for shop in ctx.shops:
        forms = checklists.applicable_templates(shop, "self_check")
        if not forms or rng.random() > SHARE_SELF_CHECKED:
            continue
        template = forms[0].template
        results = _answers(rng, template, rng.choices(("pass", "partial"), weights=(85, 15))[0])
        db.session.add(
            SelfCheck(
                shop_id=shop.id,
                template_id=template.id,
                checked_on=ctx.today - timedelta(days=rng.randint(1, 45)),
                outcome=outcome_of(template.items, results),
                answers=[{"item_id": k, "result": v, "note": ""} for k, v in results.items()],
            )
        )
        checks += 1
    db.session.flush()
    ctx.echo(f"inspections: {added} inspections, {checks} self-checks")
