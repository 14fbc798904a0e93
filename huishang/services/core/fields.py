"""Field checks: one small shape for every value a feature accepts, whether it arrives from a
form, the JSON API or an imported file, so that the same bad value gets the same message everywhere.

A *check* is a pure function: the value as typed or sent in, the clean value out. A bad value
raises `Invalid` with the field's messages (marked with `N_()`, translated where they are shown);
a value that says "nothing given" comes out as `NOTHING`. A `Field` names a check (and the key its
clean value goes to); a `Report` runs fields over one record and collects the clean values and, per
field, the messages, in the shape of the API error body (`{field: [message, ...]}`).

The primitives below (`clean_text`, `text`, `number`, `day`, `not_after_today`, `yes_no`) are what the features'
own fields are built from (`registry.fields`, `grading.rules`, `merchant.staff`, ...).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from huishang.i18n import N_
from huishang.models import today

REQUIRED = N_("必填项不能为空")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "供应", "√", "t"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "无", "不供应", "f"}
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d")

_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FOLDABLE = re.compile("[\uff01-\uff5e\u3000]")  # what _FOLD changes


class _Nothing:
    """What a check returns for "no value given": nothing is recorded for the field."""

    def __repr__(self) -> str:
        return "NOTHING"

    def __bool__(self) -> bool:
        return False


NOTHING: Any = _Nothing()


class Invalid(ValueError):
    """A value its field does not accept. `messages` are the field's `N_()` messages; `value` is
    what the record keeps anyway (NOTHING: nothing), for the checks that look at other fields."""

    def __init__(self, *messages: str, value: Any = NOTHING):
        super().__init__(*messages)
        self.messages = list(messages)
        self.value = value


@dataclass(frozen=True)
class Field:
    """One input field: `name` in the record (form field, API key, import column), its `check`
    (value[, context] → clean value; raises Invalid), the `key` its clean value is stored under
    (default: the name). A free-text field, whose only check is its length, has a `max_length`:
    forms and the API check and document it before the service does."""

    name: str
    check: Callable[..., Any]
    key: str = ""
    max_length: int | None = None

    def __post_init__(self):
        if not self.key:
            object.__setattr__(self, "key", self.name)

    def __call__(self, value, *context):
        return self.check(value, *context)


def text_field(name: str, max_length: int, key: str = "") -> Field:
    """A free-text field: trimmed and folded (`clean_text`), at most `max_length` characters."""
    return Field(name, text(max_length), key=key, max_length=max_length)


@dataclass
class Report:
    """Checks one record field by field: `clean` gets each field's clean value (under its key),
    `errors` each bad field's messages. The record is never changed."""

    data: Mapping
    clean: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, *messages: str) -> None:
        self.errors.setdefault(name, []).extend(messages)

    def take(self, field: Field, *context) -> Any:
        """Check `field` when the record has it. Returns the clean value, or NOTHING when the
        field is absent, empty in the sense of its check, or bad (its messages are recorded)."""
        if field.name not in self.data:
            return NOTHING
        try:
            value = field.check(self.data[field.name], *context)
        except Invalid as problem:
            self.add(field.name, *problem.messages)
            if problem.value is not NOTHING:
                self.clean[field.key] = problem.value
            return NOTHING
        if value is not NOTHING:
            self.clean[field.key] = value
        return value

    def require(self, *names: str, when_given: bool = False) -> None:
        """A blank value (or, unless `when_given`, a missing one) is an error: "必填项不能为空"."""
        for name in names:
            value = self.data.get(name)
            if (name in self.data or not when_given) and not (
                    value.strip() if isinstance(value, str) else clean_text(value)):
                self.add(name, REQUIRED)

    def check(self, name: str, check: Callable[..., Any], value, *context) -> Any:
        """Run `check` on a value that is not a plain record field (an element of a list, a cell of a
        table) and record its messages under `name`. Returns the clean value, or NOTHING."""
        try:
            return check(value, *context)
        except Invalid as problem:
            self.add(name, *problem.messages)
            return NOTHING


def blank(value) -> bool:
    """None, or text that is empty once trimmed (str.strip drops the ideographic space too)."""
    return value is None or (isinstance(value, str) and not value.strip())


# -- primitives -----------------------------------------------------------------------------------

def clean_text(value) -> str:
    """Trim, fold full-width ASCII and ideographic spaces to half-width, collapse blanks.
    (An import calls this a few million times: text with nothing to fold skips `str.translate`,
    and `str.split` collapses exactly the blanks `\\s+` matches.)"""
    if value is None:
        return ""
    value = value if type(value) is str else str(value)
    if not value.isascii() and _FOLDABLE.search(value):
        value = value.translate(_FOLD)
    return " ".join(value.split())


def text(max_length: int) -> Callable[[Any], Any]:
    """The check of a free-text field: None → NOTHING; else `clean_text`, which may be empty;
    longer than `max_length` → "不能超过N个字符" (the text is kept for the other checks)."""

    def check(value):
        if value is None:
            return NOTHING
        cleaned = clean_text(value)
        if len(cleaned) > max_length:
            raise Invalid(N_("不能超过%(max)s个字符", max=max_length), value=cleaned)
        return cleaned

    return check


def number(value) -> float | None:
    """A finite number, also typed as text with full-width digits; None or "" → None."""
    if value is None or value == "":
        return None
    try:
        result = float(value) if isinstance(value, (int, float)) else float(clean_text(value))
    except ValueError:
        raise Invalid(N_("应为数字：%(value)s", value=value), value=None) from None
    if result != result or result in (float("inf"), float("-inf")):
        raise Invalid(N_("应为有限数字"), value=None)
    return result


def day(value) -> date | None:
    """A date: a date or datetime as it is, or text as 2024-03-05, 2024/3/5, 2024.3.5, 20240305 or
    2024年3月5日 (full-width digits too); None or "" → None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    typed = clean_text(value).replace("年", "-").replace("月", "-").replace("日", "")
    typed = typed.replace("/", "-").replace(".", "-")
    if (len(typed) == 10 and typed.isascii() and typed[4] == typed[7] == "-"
            and typed[:4].isdigit() and typed[5:7].isdigit() and typed[8:].isdigit()):
        try:  # YYYY-MM-DD, as strptime("%Y-%m-%d") reads it, ~10 times faster
            return date(int(typed[:4]), int(typed[5:7]), int(typed[8:]))
        except ValueError:
            pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(typed, fmt).date()
        except ValueError:
            continue
    raise Invalid(N_("日期格式错误（应为 YYYY-MM-DD）：%(value)s", value=value), value=None)


def not_after_today(message: str) -> Callable[[Any], date | None]:
    """The check of a date that cannot lie in the future (the district's today); `message` says
    which date it is (the date is kept for the other checks)."""

    def check(value) -> date | None:
        on = day(value)
        if on and on > today():
            raise Invalid(message, value=on)
        return on

    return check


def yes_no(value) -> bool:
    """A yes/no flag: a bool as it is, or a word (是/否, 有/无, yes/no, 1/0, √; blank is no);
    None → NOTHING."""
    if isinstance(value, bool):
        return value
    if value is None:
        return NOTHING
    word = clean_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(N_("无法识别的是/否值：%(value)s", value=value))


def report_into(errors: dict, name: str, check: Callable[..., Any], value, *context) -> Any:
    """Run `check` and put its messages into a plain `{field: [messages]}` dict. Returns the clean
    value, or None when the value is bad or nothing was given."""
    result = Report({}, errors=errors).check(name, check, value, *context)
    return None if result is NOTHING else result
