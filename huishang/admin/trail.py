"""The shop profile's change record (变更记录, admin/profile/_audit.html): the shop's audit events as
words a reader understands — field names, values, ids and actors turned into labels and names,
never a key, a code or a database id (issue 14). Personal data that other features keep in their
events (complainants, staff health certificates…) is left out.

Values and labels are `N_` messages: the page translates them into the reader's language.
"""
from __future__ import annotations

from sqlalchemy import select

from huishang.i18n import N_
from huishang.services.core import audit, to_local

from ..extensions import db
from ..models import AuditEvent, BusinessType, Complex, Entity, Shop, Street, User
from ..models.feedback import CATEGORY_LABELS, KIND_LABELS
from ..models.feedback import STATUS_LABELS as COMPLAINT_STATUS_LABELS
from ..models.grading import PLAN_STATUS_LABELS, REASON_LABELS
from ..models.inspections import OUTCOME_LABELS
from ..models.merchant import CHANGE_STATUS_LABELS
from ..models.registry import STATUS_LABELS as SHOP_STATUS_LABELS

AUDIT_LIMIT = 50

FIELD_LABELS = {  # also the order in which a change lists its fields
    "code": N_("商铺码"), "sign_name": N_("店招名称"), "entity_id": N_("市场主体"), "entity_name": N_("主体名称"),
    "uscc": N_("统一社会信用代码"), "address": N_("地址"), "street_id": N_("街道"), "complex_id": N_("商业综合体"),
    "complex": N_("商业综合体"), "business_type_id": N_("业态"), "business_type": N_("业态"),
    "lat": N_("纬度"), "lng": N_("经度"), "status": N_("状态"),
    "contact": N_("联系人"), "phone": N_("联系电话"), "opening_hours": N_("营业时间"), "registered_on": N_("登记日期"),
    "cold_chain": N_("冷链"), "canteen_kind": N_("食堂类别"), "serves_breakfast": N_("早餐网点"),
    "breakfast_spend": N_("早餐人均"), "breakfast_wait": N_("早餐等候"), "breakfast_offer": N_("早餐品种"),
    "breakfast_hours": N_("早餐时间"), "licence_no": N_("许可证号"), "licence_expires": N_("许可证有效期"),
    "reason": N_("原因"),
    # complaints, reviews, questions
    "ticket": N_("工单号"), "category": N_("类别"), "kind": N_("类型"), "photos": N_("照片"), "note": N_("说明"),
    "escalated": N_("超期升级"), "supporters": N_("附议人数"), "assignee_id": N_("经办人"),
    "reply": N_("回复"), "answer": N_("答复"), "faq_published": N_("常见问题"), "unresponsive": N_("长期未响应"),
    # inspections and rectification
    "inspected_on": N_("检查日期"), "outcome": N_("检查结果"), "full": N_("全项检查"), "template_id": N_("检查表"),
    "inspector_id": N_("检查人员"), "co_inspector_id": N_("协查人员"), "source": N_("来源"),
    "rectification_deadline": N_("整改期限"), "deadline": N_("整改期限"), "inspection_id": N_("检查"),
    "closed_on": N_("关闭日期"), "closed_by_inspection_id": N_("关闭方式"), "ack_status": N_("商户确认"),
    "ack_note": N_("商户意见"), "reported_done_on": N_("报告整改日期"), "report_photo": N_("整改照片"),
    "checked_on": N_("自查日期"), "commitment": N_("承诺"), "due_on": N_("期限"),
    # penalties, plates, licences, staff, merchants
    "decision_no": N_("决定书文号"), "decided_on": N_("决定日期"), "violation": N_("违法行为"),
    "severity": N_("情节"), "fine": N_("罚款（元）"), "publicity_ends_on": N_("公示截止"),
    "fulfilled_on": N_("履行日期"), "repaired_on": N_("信用修复日期"), "penalty_id": N_("行政处罚"),
    "external_id": N_("市级系统编号"), "plate_version": N_("铭牌版本"), "number": N_("证号"),
    "expires_on": N_("有效期至"), "name": N_("姓名"), "role": N_("岗位"), "active": N_("在岗"),
    "merchant": N_("商户"), "title": N_("标题"), "body": N_("内容"),
}
# Keys whose values the trail never shows: other features' personal data may sit in their events,
# and technical keys (the shop itself, a device id) say nothing to the reader.
HIDDEN_KEY_PARTS = ("complainant", "reporter", "tracking", "vaccin", "health", "id_number", "password")
HIDDEN_KEYS = {"shop_id", "client_id", "checklist_version"}
OTHER = N_("其他记录项")

ACTORS = {"anonymous": N_("匿名市民"), "cli": N_("系统命令行"), "system": N_("系统")}
REVIEW_STATUS_LABELS = {"visible": N_("可见"), "held": N_("待审核"), "hidden": N_("已隐藏")}
ACK_LABELS = {"acknowledged": N_("已确认"), "refused": N_("有异议")}
LICENCE_KIND_LABELS = {"food_business": N_("食品经营许可证"), "business": N_("营业执照")}
SOURCE_LABELS = {"web": N_("网页录入"), "app": N_("移动端录入"), "import": N_("导入"), "city": N_("市级系统推送"),
                 "form": N_("网页录入"), "api": N_("接口录入")}
# `status` and `kind` mean different things on different records: the event's object type decides.
STATUS_BY_OBJECT = {"Shop": SHOP_STATUS_LABELS, "Complaint": COMPLAINT_STATUS_LABELS, "PlanItem": PLAN_STATUS_LABELS,
                    "Review": REVIEW_STATUS_LABELS, "ChangeRequest": CHANGE_STATUS_LABELS}
KIND_BY_OBJECT = {"Complaint": KIND_LABELS, "Licence": LICENCE_KIND_LABELS}
CODED = {"category": CATEGORY_LABELS, "outcome": OUTCOME_LABELS, "ack_status": ACK_LABELS, "source": SOURCE_LABELS,
         "reason": REASON_LABELS}


def shop_audit_events(shop: Shop, limit: int = AUDIT_LIMIT) -> list[dict]:
    """The shop's audit trail, newest first, ready to show."""
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.shop_id == shop.id)
                                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)).all()
    names = ReferenceNames()
    return [{"at": to_local(event.at), "actor": names.actor(event),
             "action": audit.action_label(event.action), "changes": changes(event, names)}
            for event in events]


def field_label(key: str):
    return FIELD_LABELS.get(key, OTHER)


def changes(event: AuditEvent, names: ReferenceNames) -> list[tuple[str, str, str]]:
    before, after = event.before or {}, event.after or {}
    rows = []
    order = {key: i for i, key in enumerate(FIELD_LABELS)}
    for key in sorted(set(before) | set(after), key=lambda k: (order.get(k, len(order)), k)):
        if key in HIDDEN_KEYS or any(part in key for part in HIDDEN_KEY_PARTS):
            continue
        old = names.show(key, before.get(key), event.object_type)
        new = names.show(key, after.get(key), event.object_type)
        if old != "—" or new != "—":
            rows.append((field_label(key), old, new))
    return rows


class ReferenceNames:
    """Turns the ids and codes in audit snapshots into names and words (one lookup per id)."""

    MODELS = {"street_id": (Street, "name"), "business_type_id": (BusinessType, "name"),
              "complex_id": (Complex, "name")}
    USERS = ("inspector_id", "co_inspector_id", "assignee_id")

    def __init__(self):
        self._cache: dict = {}

    def _get(self, model, ident):
        if not isinstance(ident, int):
            return None
        if (model, ident) not in self._cache:
            self._cache[(model, ident)] = db.session.get(model, ident)
        return self._cache[(model, ident)]

    def actor(self, event: AuditEvent):
        """A person by their name; the web's anonymous visitor and the command line by what they are."""
        user = self._get(User, event.actor_id)
        if user is not None:
            return user.label
        label = event.actor_label or ""
        return ACTORS.get(label, label) or "—"

    def show(self, key: str, value, object_type: str = ""):
        shown = self._show(key, value, object_type)
        # a label from a model's map is plain Chinese: as a message the page translates it
        return N_(shown) if type(shown) is str and shown in self._words() else shown

    @staticmethod
    def _words() -> set[str]:
        words = set()
        for labels in (*STATUS_BY_OBJECT.values(), *KIND_BY_OBJECT.values(), *CODED.values()):
            words.update(str(v) for v in labels.values())
        return words

    def _show(self, key: str, value, object_type: str = ""):
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return N_("是") if value else N_("否")
        if key in self.MODELS:
            model, attr = self.MODELS[key]
            obj = self._get(model, value)
            return getattr(obj, attr) if obj is not None else N_("（已删除）")
        if key == "entity_id":
            entity = self._get(Entity, value)
            return f"{entity.name}（{entity.uscc}）" if entity else N_("（已删除）")
        if key in self.USERS:
            user = self._get(User, value)
            return user.label if user is not None else N_("（已删除的账号）")
        if key in ("inspection_id", "closed_by_inspection_id"):
            return self._inspection(key, value)
        if key == "template_id":
            return self._template(value)
        if key == "penalty_id":
            return self._penalty(value)
        if key == "status":
            labels = STATUS_BY_OBJECT.get(object_type, {})
            return labels.get(value, SHOP_STATUS_LABELS.get(value, COMPLAINT_STATUS_LABELS.get(value, str(value))))
        if key == "kind" and object_type in KIND_BY_OBJECT:
            return KIND_BY_OBJECT[object_type].get(value, str(value))
        if key in CODED and isinstance(value, str) and value in CODED[key]:
            return CODED[key][value]
        if key.endswith("_photo"):
            return N_("已上传")
        if key.endswith("_id"):  # an id the trail cannot name: never shown as a number
            return N_("已记录")
        text = value if isinstance(value, str) else str(value)
        return text if len(text) <= 120 else text[:117] + "…"

    def _inspection(self, key: str, value):
        from ..models import Inspection

        inspection = self._get(Inspection, value)
        if inspection is None:
            return N_("（已删除的检查）")
        on = inspection.inspected_on.isoformat()
        if key == "closed_by_inspection_id":
            return N_("由 %(date)s 的检查关闭", date=on)
        return N_("%(date)s 的检查", date=on)

    def _template(self, value):
        from ..models import ChecklistTemplate

        template = self._get(ChecklistTemplate, value)
        return template.name if template is not None else N_("（已删除的检查表）")

    def _penalty(self, value):
        from ..models import Penalty

        penalty = self._get(Penalty, value)
        return penalty.decision_no if penalty is not None else N_("（已删除的处罚）")
