"""Audit events: every write records who, what, before and after, when and from where."""
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import AuditEvent
from huishang.models.feedback import TRANSITIONS

SECRET_FIELDS = {"password", "password_hash", "tracking_key_hash", "token", "key_hash"}

# What each recorded action is called in the audit trail (shown in the reader's language).
ACTION_LABELS = {
    "shop.register": N_("登记"),
    "shop.update": N_("修改"),
    "shop.close": N_("注销商铺"),
    "shop.import": N_("批量导入"),
    "shop.claim": N_("商户认领"),
    "shop.reset_ownership": N_("重置商户归属"),
    "shop.sign_photo": N_("更换门头照片"),
    "shop.unresponsive": N_("标记长期未响应"),
    "plate.reissue": N_("补发铭牌"),
    "claim_code.issue": N_("打印认领函"),
    "licence.add": N_("登记许可证"),
    "staff.add": N_("登记从业人员"),
    "staff.update": N_("修改从业人员"),
    "staff.remove": N_("移除从业人员"),
    "change_request.create": N_("申请变更"),
    "change_request.approve": N_("批准变更"),
    "change_request.reject": N_("驳回变更"),
    "change_request.withdraw": N_("撤回变更申请"),
    "checklist.edit": N_("修改检查表"),
    "checklist.create": N_("新建检查表"),
    "checklist.copy": N_("复制检查表"),
    "checklist.retire": N_("停用检查表"),
    "business_type.add": N_("新增业态"),
    "business_type.update": N_("修改业态"),
    "colour_table.update": N_("修改冷链四色对照表"),
    "inspection.refer": N_("移送立案"),
    "inspection.create": N_("录入检查"),
    "inspection.import": N_("导入检查记录"),
    "inspection.push": N_("市级系统推送检查"),
    "inspection.ack": N_("商户确认检查结果"),
    "rectification.open": N_("责令整改"),
    "rectification.report": N_("商户报告整改"),
    "rectification.close": N_("整改完成"),
    "self_check.create": N_("商户自查"),
    "grading.rule": N_("修改分级规则"),
    "plan.generate": N_("生成待检查清单"),
    "plan.assign": N_("分派检查"),
    "plan.auto_assign": N_("自动分派检查"),
    "plan.close": N_("关闭清单事项"),
    "draw.create": N_("双随机抽查"),
    "penalty.record": N_("登记行政处罚"),
    "penalty.push": N_("市级系统推送处罚"),
    "penalty.fulfilled": N_("处罚履行完毕"),
    "credit_repair.apply": N_("申请信用修复"),
    "credit_repair.decide": N_("审核信用修复"),
    "complaint.submit": N_("提交投诉"),
    "complaint.me_too": N_("我也遇到了"),
    "complaint.assign": N_("指派投诉"),
    "complaint.escalate": N_("投诉超期升级"),
    "complaint.rate": N_("投诉满意度评价"),
    "review.submit": N_("发表点评"),
    "review.reply": N_("商户回复点评"),
    "review.hide": N_("隐藏点评"),
    "review.restore": N_("恢复点评"),
    "reply_template.save": N_("保存答复模板"),
    "reply_template.delete": N_("删除答复模板"),
    "question.ask": N_("商户咨询"),
    "question.answer": N_("答复咨询"),
    "question.publish_faq": N_("发布常见问题"),
    "question.unpublish_faq": N_("撤下常见问题"),
    "message.post": N_("发送消息"),
    "policy.publish": N_("发布政策"),
    "property.move_in": N_("商户入驻"),
    "property.move_out": N_("商户撤场"),
    "property.notice": N_("物业通知"),
    "property_report.confirm": N_("确认物业报告"),
    "property_report.reject": N_("驳回物业报告"),
    "calendar.set": N_("设置工作日历"),
    "calendar.delete": N_("删除工作日历"),
    "apikey.create": N_("签发接口密钥"),
    "apikey.revoke": N_("吊销接口密钥"),
    "user.create": N_("创建账号"),
    "user.locked": N_("账号锁定"),
}


def action_label(action: str):
    """The audit trail's name for `action`: the complaint workflow's steps by their own labels, any
    other known action from ACTION_LABELS, an unknown one as its code."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.startswith("complaint."):
        step = TRANSITIONS.get(action.removeprefix("complaint."))
        if step is not None:
            return N_("投诉：%(step)s", step=step.label)
    return action


@dataclass(frozen=True)
class Origin:
    """Who acts and from where, bound once by the layer that received the work: each web request
    (`huishang.hooks`: the signed-in user, else "anonymous", and the client address), the command
    line ("cli", the default). The services never read the request themselves."""

    label: str = "cli"  # the actor's name when no signed-in user acts
    ip: str | None = None
    user: Callable[[], object | None] = lambda: None  # the signed-in user, resolved when an event is written


CLI = Origin()
_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def bind(origin: Origin) -> Token:
    """Make `origin` the origin of the events recorded from now on in this context."""
    return _origin.set(origin)


def unbind(token: Token) -> None:
    _origin.reset(token)


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(obj, fields) -> dict:
    """A JSON-safe dict of the named attributes, never including secrets."""
    return {f: _plain(getattr(obj, f, None)) for f in fields if f not in SECRET_FIELDS}


def record(action: str, obj, *, before: dict | None = None, after: dict | None = None,
           actor=None, shop_id: int | None = None) -> AuditEvent:
    """Add an audit event for `obj` to the session (flushed with the rest of the change). `actor`
    defaults to the bound origin's signed-in user; the label and address come from the origin."""
    origin = _origin.get() or CLI
    if actor is None:
        actor = origin.user()
    if shop_id is None:
        shop_id = getattr(obj, "shop_id", None)
        if shop_id is None and type(obj).__name__ == "Shop":
            shop_id = obj.id
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "username", None) or origin.label,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(getattr(obj, "id", "") or getattr(obj, "code", "")),
        shop_id=shop_id,
        before={k: _plain(v) for k, v in (before or {}).items() if k not in SECRET_FIELDS} or None,
        after={k: _plain(v) for k, v in (after or {}).items() if k not in SECRET_FIELDS} or None,
        ip=origin.ip,
    )
    db.session.add(event)
    return event
