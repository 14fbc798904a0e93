"""Labels that templates translate at render time, e.g. `{{ _(shop.status_label) }}`, but that the code
defines as plain Chinese strings (they are also stored, exported or serialised as they are).

pybabel cannot see the value of a variable, so each such label is listed here once with the no-op
marker `N_` (one of pybabel's default keywords; babel.cfg's `huishang/**.py` covers this file).
Nothing imports this module. tests/test_i18n.py checks that every value of these label maps has an
English translation: when you add a label to one of them, add it here too (or mark it in place with
`_l`/`N_`) and run `make translations`.
"""


def N_(message: str) -> str:  # the conventional name of gettext's no-op marker
    return message


def pgettext(context: str, message: str) -> str:  # a no-op marker too: the label with its context
    return message


LABELS = (
    # models/feedback.py CATEGORY_LABELS, KIND_LABELS, STATUS_LABELS, REVIEW_TAGS
    N_("食品安全"), N_("价格"), N_("计量"), N_("服务质量"), N_("环境卫生"), N_("虚假宣传"),
    N_("投诉（要求解决）"), N_("举报（要求查处）"),
    N_("已提交"), N_("已受理"), N_("不予受理"), N_("已转商户"), N_("商户已答复"), N_("已重新打开"),
    N_("已解决"), N_("已办结（未解决）"), N_("重复件"), N_("非本部门管辖"),
    N_("干净卫生"), N_("服务热情"), N_("价格实惠"), N_("分量足"), N_("上菜快"), N_("味道好"),
    N_("环境差"), N_("服务差"), N_("价格偏高"), N_("等待久"),
    # services/complaints.py ROLE_LABELS, ACTION_LABELS (with the TRANSITIONS step labels)
    N_("商户"), N_("投诉人"), N_("系统"),
    N_("超期升级"), N_("满意度评价"), N_("受理"), N_("转交商户"), N_("办结（已解决）"), N_("办结（未解决）"),
    # models/grading.py TIERS, REASON_LABELS, PLAN_STATUS_LABELS; services/draws.py
    N_("高"), N_("中"), N_("低"),
    N_("投诉触发"), N_("新登记未检查"), N_("已检查"), N_("尚未检查"),
    # services/grading.py RULE_LABELS
    N_("静态风险等级 → 静态层级（A/B/C/D → 高/中/低）"),
    N_("检查间隔天数（静态层级 × 动态等级）"),
    N_("加重：窗口内查实投诉件数（≥）"),
    N_("加重：查实投诉统计窗口（天）"),
    N_("加重：行政处罚公示期内"),
    N_("加重：整改逾期未完成"),
    N_("三个月内不重复检查（天）"),
    N_("新登记未检查：登记后（天）"),
    N_("查实食品安全投诉后应检查（天）"),
    N_("双随机抽取比例（按信用风险分类）"),
    N_("处罚公示期：轻微（月）"),
    N_("处罚公示期：一般/严重（月）"),
    N_("信用修复：最短公示期（月）"),
    # services/penalties.py SEVERITY_LABELS
    N_("轻微"), N_("严重"),
    # models/integration.py SCOPE_LABELS
    N_("读取商铺登记与检查变更"), N_("推送检查记录"), N_("推送行政处罚"),
    # admin/pages.py FIELD_LABELS (the shop's change history)
    N_("早餐人均"), N_("早餐等候"), N_("早餐时间"), N_("原因"),
    # services/checklists.py TOPIC_LABELS; services/changes.py FIELD_LABELS
    N_("疫情防控"), N_("冷链食品"), N_("证照图片"),
    # services/catalog/checklists.py TOPIC_LABELS (catalogue, issue 15)
    N_("市场秩序（非食品）"),
    # services/licences.py LICENCE_KINDS
    N_("小餐饮登记证"), N_("食品生产许可证"), N_("其他证照"),
)


# Labels whose Chinese carries two meanings: templates translate them with a context, e.g.
# `pgettext('penalty severity', label)`. 一般 is also the dynamic grade (Fair), 注销 the shop status (Closed).
CONTEXT_LABELS = (
    # services/penalties.py SEVERITY_LABELS
    pgettext("penalty severity", "轻微"), pgettext("penalty severity", "一般"), pgettext("penalty severity", "严重"),
)
