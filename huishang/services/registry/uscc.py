"""统一社会信用代码 — the unified social credit code, GB 32100-2015.

18 characters over the alphabet below; the 18th is a check character computed from the first 17
with the standard's weights, modulo 31.
"""
import secrets

from huishang.i18n import N_

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def normalise(value: str) -> str:
    """Upper-case, strip spaces and turn full-width characters into their ASCII forms."""
    if value and value.isascii():  # the usual case, and the same result as the loop below
        return "".join(value.split()).upper()
    out = []
    for ch in (value or "").strip():
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        if not ch.isspace():
            out.append(ch)
    return "".join(out).upper()


def check_character(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(value: str) -> str | None:
    """Return an error message (Chinese) for a bad code, or None when it is valid."""
    code = normalise(value)
    if len(code) != 18:
        return N_("统一社会信用代码应为18位")
    bad = [c for c in code if c not in _VALUE]
    if bad:
        return N_("统一社会信用代码含有非法字符：%(chars)s", chars="".join(sorted(set(bad))))
    if check_character(code[:17]) != code[17]:
        return N_("统一社会信用代码校验位错误")
    return None


def generate(rng=None) -> str:
    """A random, valid code (for demo data and tests): 9 + 2 + a Shanghai Xuhui area code."""
    pick = (rng.choice if rng else secrets.choice)
    body = "92" + "310104" + "".join(pick(ALPHABET) for _ in range(9))
    return body + check_character(body)
