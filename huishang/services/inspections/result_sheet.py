"""检查结果记录表 — the printable result sheet of an inspection (A4 PDF, the shipped CJK font).

The business posts it on the premises until the next inspection (SAMR Order 49 Art. 39), so it
carries what a customer and the merchant need: shop, inspectors, date, each item's result and
note, the outcome, the rectification deadline and boxes for the signatures.
"""

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from huishang.extensions import db
from huishang.models import ChecklistItem, ChecklistTemplate, Shop, User
from huishang.models.inspections import OUTCOME_LABELS
from huishang.services.core import pdf_font

RESULT_LABELS = {"pass": "符合", "fail": "不符合", "na": "不适用", "fixed": "当场整改"}


def _styles():
    font = pdf_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1),
        "head": ParagraphStyle("head", parent=base, fontSize=10, leading=14),
        "fail": ParagraphStyle("fail", parent=base, textColor=colors.red),
        "section": ParagraphStyle("section", parent=base, fontSize=10, leading=14, textColor=colors.white),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")), style)


def filename(inspection) -> str:
    return f"result-{inspection.shop.code}-{inspection.inspected_on.isoformat()}.pdf"


def render(inspection) -> bytes:
    """The result sheet as PDF bytes."""
    st = _styles()
    shop = db.session.get(Shop, inspection.shop_id)
    template = db.session.get(ChecklistTemplate, inspection.template_id) if inspection.template_id else None
    inspector = db.session.get(User, inspection.inspector_id) if inspection.inspector_id else None
    co = db.session.get(User, inspection.co_inspector_id) if inspection.co_inspector_id else None
    rect = inspection.rectification
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title="检查结果记录表",
        author="汇商码",
    )
    story = [_p("检查结果记录表", st["title"]), Spacer(1, 4 * mm)]
    head = [
        ["经营者（店招）", f"{shop.entity.name}（{shop.sign_name}）", "商铺码", shop.code],
        ["地址", shop.address, "业态", shop.business_type.name],
        [
            "检查日期",
            inspection.inspected_on.isoformat(),
            "检查表",
            f"{template.name} 第{template.version}版" if template else "历史导入记录",
        ],
        [
            "检查人员",
            "、".join(u.label for u in (inspector, co) if u) or "—",
            "记录编号",
            f"JC{inspection.id:08d}",
        ],
    ]
    table = Table(
        [[_p(c, st["head"]) for c in row] for row in head], colWidths=[24 * mm, 72 * mm, 20 * mm, 64 * mm]
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm)]
    story += _items_table(inspection, st)
    story.append(Spacer(1, 4 * mm))
    outcome = OUTCOME_LABELS.get(inspection.outcome, inspection.outcome)
    summary = [
        ["检查结果", outcome],
        ["整改期限", rect.deadline.isoformat() if rect else "无需整改"],
        ["说明", inspection.note or "—"],
    ]
    if inspection.ack_status:
        summary.append(
            [
                "经营者意见",
                "已签收" if inspection.ack_status == "acknowledged" else f"拒签：{inspection.ack_note or ''}",
            ]
        )
    table = Table([[_p(a, st["head"]), _p(b, st["head"])] for a, b in summary], colWidths=[30 * mm, 150 * mm])
    table.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    signs = [
        [
            _p("检查人员签名", st["head"]),
            _p("检查人员签名", st["head"]),
            _p("经营者签名（盖章）", st["head"]),
        ],
        ["", "", ""],
        [_p("日期：", st["base"]), _p("日期：", st["base"]), _p("日期：", st["base"])],
    ]
    table = Table(signs, colWidths=[60 * mm] * 3, rowHeights=[8 * mm, 20 * mm, 8 * mm])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (0, -1), 0.5, colors.grey),
                ("BOX", (1, 0), (1, -1), 0.5, colors.grey),
                ("BOX", (2, 0), (2, -1), 0.5, colors.grey),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 3 * mm),
        _p(
            # Order 49 Art. 39 (posting the sheet) binds food businesses; a non-food form's sheet
            # only points to the scan page.
            ("本记录表应张贴在经营场所醒目位置，保持至下次监督检查（《食品生产经营监督检查管理办法》第三十九条）。"
             if getattr(inspection.template, "topic", "food_safety") != "market" else "")
            + "扫描店门口汇商码可查看最新检查结果。",
            st["base"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


def _items_table(inspection, st) -> list:
    answers = {a.item_id: a for a in inspection.answers}
    if not answers:
        return [_p("本记录为历史检查结果导入，无逐项记录。", st["base"])]
    items = (
        db.session.query(ChecklistItem)
        .filter(ChecklistItem.id.in_(answers))
        .order_by(ChecklistItem.position)
        .all()
    )
    rows = [[_p(h, st["head"]) for h in ("序号", "检查项目", "类别", "结果", "说明")]]
    styles = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    section, n = None, 0
    for item in items:
        if item.section != section:
            section = item.section
            rows.append([_p(section, st["section"]), "", "", "", ""])
            styles += [
                ("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), colors.HexColor("#5b6675")),
            ]
        n += 1
        answer = answers[item.id]
        rows.append(
            [
                _p(n, st["base"]),
                _p(item.text, st["base"]),
                _p("重点项" if item.key else "一般项", st["base"]),
                _p(
                    RESULT_LABELS.get(answer.result, answer.result),
                    st["fail" if answer.result == "fail" else "base"],
                ),
                _p(answer.note, st["base"]),
            ]
        )
    table = Table(rows, colWidths=[10 * mm, 96 * mm, 16 * mm, 16 * mm, 42 * mm], repeatRows=1)
    table.setStyle(TableStyle(styles))
    return [table]
