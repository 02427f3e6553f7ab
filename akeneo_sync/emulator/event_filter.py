"""The subscription ``filter`` language: one expression such as ``not user_type="job"``.

Grammar (Akeneo's available-filters page): ``field="value"``, ``field in ["a", "b"]``, ``and``,
``or``, ``not`` and parentheses, at most 500 characters and 10 logical operators. ``user`` and
``user_type`` apply to every event; ``attribute``, ``scope``/``channel`` and ``locale`` only to
``*.updated.delta`` events, which the emulator does not emit, so there they never match.
Parsed once at subscription time into a predicate, so a bad filter is a 400, never a silent drop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Predicate = Callable[[Mapping[str, str]], bool]

FIELDS = ("user", "user_type", "attribute", "scope", "channel", "locale")
MAX_LENGTH = 500
MAX_OPERATORS = 10
_TOKEN = re.compile(r'\s*(?:(?P<str>"[^"]*")|(?P<word>[A-Za-z_]+)|(?P<sym>[()\[\],=]))')


class FilterSyntaxError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FilterSyntaxError(
                f"Unexpected character at position {pos}: {text[pos : pos + 10]!r}"
            )
        out.append(m.group("str") or m.group("word") or m.group("sym"))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.operators = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok.lower() != expected):
            raise FilterSyntaxError(f"Expected {expected or 'more'}, got {tok or 'end of filter'}")
        self.pos += 1
        return tok

    def expr(self) -> Predicate:
        left = self.conj()
        while (self.peek() or "").lower() == "or":
            self.take()
            self.operators += 1
            left = _either(left, self.conj())
        return left

    def conj(self) -> Predicate:
        left = self.unary()
        while (self.peek() or "").lower() == "and":
            self.take()
            self.operators += 1
            left = _both(left, self.unary())
        return left

    def unary(self) -> Predicate:
        if (self.peek() or "").lower() == "not":
            self.take()
            self.operators += 1
            inner = self.unary()
            return lambda ctx: not inner(ctx)
        if self.peek() == "(":
            self.take("(")
            inner = self.expr()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        field = self.take().lower()
        if field not in FIELDS:
            raise FilterSyntaxError(
                f"Unknown filter field {field!r}; use one of {', '.join(FIELDS)}"
            )
        key = "scope" if field == "channel" else field
        if self.peek() == "=":
            self.take("=")
            value = self.string()
            return lambda ctx: ctx.get(key) == value
        self.take("in")
        self.take("[")
        values = {self.string()}
        while self.peek() == ",":
            self.take(",")
            values.add(self.string())
        self.take("]")
        return lambda ctx: ctx.get(key) in values

    def string(self) -> str:
        tok = self.take()
        if len(tok) < 2 or tok[0] != '"' or tok[-1] != '"':
            raise FilterSyntaxError(f"Expected a double-quoted value, got {tok}")
        return tok[1:-1]


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda ctx: a(ctx) or b(ctx)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda ctx: a(ctx) and b(ctx)


def parse_filter(text: str) -> Predicate:
    """The predicate a filter expression stands for; ``FilterSyntaxError`` says what is wrong."""
    if len(text) > MAX_LENGTH:
        raise FilterSyntaxError(f"A filter is at most {MAX_LENGTH} characters")
    parser = _Parser(_tokens(text))
    if not parser.tokens:
        raise FilterSyntaxError("The filter is empty")
    predicate = parser.expr()
    if parser.peek() is not None:
        raise FilterSyntaxError(f"Unexpected {parser.peek()} after the end of the expression")
    if parser.operators > MAX_OPERATORS:
        raise FilterSyntaxError(f"A filter has at most {MAX_OPERATORS} logical operators")
    return predicate
