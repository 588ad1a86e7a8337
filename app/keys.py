"""Signing keys (DESIGN.md §9): SECRET_KEY and JWT_SECRET_KEY must be secret and strong.

A key is refused when it was ever written in the repository (config.py's old defaults,
the tests' old key) or when its estimated entropy is under 128 bits. The estimate is
length × the bits of its character classes (hex digits 4, lower case 4.7, …), over
its shortest repeating unit ("abcd" × 16 counts as "abcd"); a key of a few distinct
characters or a sequence ("abcdef…") counts only its letter-frequency entropy.
"""
import math
import string
from collections import Counter

MIN_BITS = 128
KNOWN_KEYS = frozenset({
    "dev-only-change-me-8f3c2a91",  # config.py's default, first version
    "dev-only-change-me-8f3c2a91-5d0b7e64c1a9",  # config.py's default, second version
    "test-secret-of-at-least-thirty-two-bytes",  # the tests' key until they drew one per run
})
_CLASSES = (string.digits, string.ascii_lowercase, string.ascii_uppercase,
            string.punctuation)


def repeating_unit(key: str) -> str:
    for size in range(1, len(key) // 2 + 1):
        if len(key) % size == 0 and key[:size] * (len(key) // size) == key:
            return key[:size]
    return key


def _alphabet_bits(text: str) -> float:
    if all(c in string.hexdigits for c in text) and (text.islower() or text.isupper()
                                                     or text.isdigit()):
        return 4.0
    size = sum(len(chars) for chars in _CLASSES if any(c in chars for c in text))
    size += len({c for c in text if not any(c in chars for chars in _CLASSES)})
    return math.log2(max(size, 2))


def _frequency_bits(text: str) -> float:
    """Shannon entropy per character of `text`'s own letter frequencies."""
    counts, n = Counter(text), len(text)
    return -sum(k / n * math.log2(k / n) for k in counts.values()) if n else 0.0


def _steps(text: str) -> str:
    """The differences between neighbours: "abcdef…" and "a1b2c3…" become a few values."""
    return "".join(chr((ord(b) - ord(a)) % 0x110000) for a, b in zip(text, text[1:]))


def estimated_bits(key: str) -> float:
    unit = repeating_unit(key)
    alphabet = _alphabet_bits(unit)
    # a random key shows nearly its alphabet's entropy per character; well under half of
    # it is a key of a few letters or a sequence, and then only that much counts
    patterned = [bits for bits in (_frequency_bits(unit), _frequency_bits(_steps(unit)))
                 if bits < alphabet / 2]
    return len(unit) * min([alphabet, *patterned])


def key_problem(key) -> str | None:
    """Why `key` may not sign sessions or tokens, or None when it may."""
    if not key:
        return "is not set"
    key = key.decode("latin-1") if isinstance(key, bytes) else str(key)
    if key.strip() in KNOWN_KEYS:
        return "is a key written in the repository's history (known to everyone)"
    bits = estimated_bits(key)
    if bits < MIN_BITS:
        return f"is too weak (about {int(bits)} bits; at least {MIN_BITS} are needed)"
    return None
