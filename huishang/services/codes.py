"""Public shop codes printed on plates.

A code is 8 random characters (40 bits) over a 32-character alphabet without look-alikes
(no 0/O, 1/I), then one check character (Luhn mod 32), so a mistyped or forged code is recognised
before any database lookup. Codes already on walls (imported) are kept as they are, provided they
are well formed.
"""
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
N = len(ALPHABET)
RANDOM_LENGTH = 8
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{RANDOM_LENGTH + 1}}}$")


def check_character(body: str) -> str:
    """Luhn mod N: catches every single-character error and most adjacent transpositions."""
    factor, total = 2, 0
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // N + addend % N
    return ALPHABET[(N - total % N) % N]


def mint() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def normalise(code: str) -> str:
    return (code or "").strip().upper()


def is_genuine(code: str) -> bool:
    """True when the code is well formed and its check character matches."""
    code = normalise(code)
    return bool(_SHAPE.match(code)) and check_character(code[:-1]) == code[-1]
