"""The 30-day list's exports (导出): CSV and XLSX through the one tabular writer (the BOM once,
formula-safe cells, XLSX streamed), and a landscape A4 PDF for printing.

`export(rows, fmt, title)` takes the list as `query.present` gives it."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from huishang.i18n import N_
from huishang.services import DomainError
from huishang.services.core import pdf_font, tabular

FORMATS = ("csv", "xlsx", "pdf")
MIMETYPES = {**tabular.MIMETYPES, "pdf": "application/pdf"}
HEADERS = [
    "序号",
    "商铺码",
    "店招名称",
    "地址",
    "街道",
    "应检日期",
    "原因",
    "静态层级",
    "动态等级",
    "逾期",
    "状态",
    "执法人员",
]
XLSX_WIDTHS = (6, 14, 24, 36, 12, 12, 12, 8, 8, 6, 10, 18)
PDF_WIDTHS = [28, 70, 110, 170, 60, 60, 60, 40, 40, 30, 50, 80]


def row(n: int, d: dict) -> list:
    """The `n`th item of the list as one line of the export."""
    people = d["assignment"] or {}
    return [
        n,
        d["shop_code"],
        d["sign_name"],
        d["address"],
        d["street"],
        d["due_on"],
        d["reason_label"],
        d["cell"]["static"],
        d["cell"]["dynamic"],
        "是" if d["overdue"] else "",
        d["status_label"],
        " / ".join(p for p in (people.get("inspector"), people.get("co_inspector")) if p),
    ]


def _lines(rows: list[dict]):
    return (row(n, d) for n, d in enumerate(rows, 1))


def export(rows: list[dict], fmt: str, title: str) -> bytes:
    """The list as CSV (UTF-8 with BOM, opens in Chinese Excel), XLSX (a title line, a bold header,
    the first two rows frozen) or PDF. Raises DomainError(400) for another format."""
    if fmt == "csv":
        return tabular.to_bytes("csv", tabular.Sheet("待检查清单", _lines(rows), header=HEADERS))[0]
    if fmt == "xlsx":
        sheet = tabular.Sheet("待检查清单", _lines(rows), header=HEADERS, caption=title, bold_header=True,
                              widths=XLSX_WIDTHS, freeze="A3")
        return tabular.to_bytes("xlsx", sheet)[0]
    if fmt == "pdf":
        return _pdf(rows, title)
    raise DomainError(N_("不支持的导出格式"), {"format": [N_("应为 csv、xlsx 或 pdf")]}, status=400)


def _pdf(rows: list[dict], title: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = pdf_font()
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), leftMargin=24, rightMargin=24, topMargin=24, bottomMargin=24, title=title
    )
    # Paragraph reads its text as markup: a sign name must print as typed, never as a tag or a link
    data = [HEADERS] + [[Paragraph(escape(str(v)), cell_style) for v in line] for line in _lines(rows)]
    table = Table(data, repeatRows=1, colWidths=PDF_WIDTHS)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, 0), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    heading = ParagraphStyle("h", fontName=font, fontSize=14, leading=18, spaceAfter=8)
    doc.build([Paragraph(escape(title), heading), table])
    return out.getvalue()
