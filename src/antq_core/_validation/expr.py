"""The expression language of validation rules: tokenizer, parser and interval evaluation.

Never ``eval``: the library reads the text itself, character by character,
and builds a small tree that it evaluates over bounds (see :class:`Bounds`).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Final

import attrs

from antq_core.errors import ExpressionError

__all__ = ["Bounds", "Expression", "MetricRef"]

MAX_EXPRESSION_LENGTH: Final = 2000
"""Most characters an expression may have."""
MAX_DEPTH: Final = 50
"""Most nested parentheses and unary signs an expression may have."""

INF: Final = Decimal("Infinity")
ZERO: Final = Decimal(0)
# Enough digits that sums and products of 30-digit values are exact; quotients round here.
_CONTEXT: Final = decimal.Context(prec=80, traps=[decimal.InvalidOperation, decimal.Overflow])


# -- tokens ------------------------------------------------------------------------------------

_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*", re.ASCII)
_QUOTED: Final = re.compile(r"`([A-Za-z0-9][A-Za-z0-9._-]{0,99})`", re.ASCII)
_OPERATORS: Final = {
    "+": "+",
    "-": "-",
    "\u2212": "-",  # minus sign
    "*": "*",
    "\u00d7": "*",  # multiplication sign
    "/": "/",
    "\u00f7": "/",  # division sign
    "(": "(",
    ")": ")",
    "[": "[",
    "]": "]",
    ",": ",",
    "=": "=",
}


@attrs.frozen
class _Token:
    kind: str  # "num", "name", or the operator itself; "end" at the end
    text: str
    pos: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, n = 0, len(text)
    while pos < n:
        c = text[pos]
        if c.isspace():
            pos += 1
            continue
        if c in _OPERATORS:
            tokens.append(_Token(_OPERATORS[c], c, pos))
            pos += 1
            continue
        m = _NUMBER.match(text, pos)
        if m is not None:
            end = m.end()
            if end < n and (text[end].isalpha() or text[end] == "_"):
                raise ExpressionError(
                    text, pos, "an id starting with a digit is written in backquotes: `12abc`"
                )
            tokens.append(_Token("num", m.group(), pos))
            pos = end
            continue
        m = _NAME.match(text, pos) or _QUOTED.match(text, pos)
        if m is not None:
            name = m.group(1) if c == "`" else m.group()
            if name.endswith(".") or len(name) > 100:  # noqa: PLR2004
                raise ExpressionError(
                    text, pos, "not an id (at most 100 characters, no final '.')"
                )
            tokens.append(_Token("name", name, pos))
            pos = m.end()
            continue
        if c == "`":
            raise ExpressionError(text, pos, "a quoted id is an id between backquotes: `my-id`")
        raise ExpressionError(text, pos, f"unexpected character {c!r}")
    tokens.append(_Token("end", "", n))
    return tokens


# -- tree ------------------------------------------------------------------------------------


@attrs.frozen
class MetricRef:
    """A metric in an expression, optionally one slice of it.

    ``released_prisoners_employed[capital_source=family]`` is the metric
    ``released_prisoners_employed`` for the option ``family`` of category
    ``capital_source``; without brackets it is the total (no breakdown).

    Attributes:
        metric: The metric id.
        disaggregation: ``(category, option)`` pairs, sorted; empty for the total.
        position: Where the reference starts in its expression.
    """

    metric: str
    disaggregation: tuple[tuple[str, str], ...] = ()
    position: int = attrs.field(default=0, eq=False)

    def __str__(self) -> str:
        name = _id_text(self.metric)
        if not self.disaggregation:
            return name
        inside = ", ".join(f"{_id_text(c)}={_id_text(o)}" for c, o in self.disaggregation)
        return f"{name}[{inside}]"


def _id_text(name: str) -> str:
    return name if _NAME.fullmatch(name) else f"`{name}`"


@attrs.frozen
class _Number:
    value: Decimal


@attrs.frozen
class _Negate:
    operand: _Node


@attrs.frozen
class _Binary:
    op: str
    left: _Node
    right: _Node
    position: int


_Node = _Number | MetricRef | _Negate | _Binary


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, kind: str, what: str) -> _Token:
        if self.peek.kind != kind:
            raise ExpressionError(self.text, self.peek.pos, f"expected {what}")
        return self.take()

    def parse(self) -> _Node:
        if self.peek.kind == "end":
            raise ExpressionError(self.text, self.peek.pos, "the expression is empty")
        node = self.sum()
        if self.peek.kind != "end":
            raise ExpressionError(self.text, self.peek.pos, "expected an operator or the end")
        return node

    def sum(self) -> _Node:
        node = self.product()
        while self.peek.kind in ("+", "-"):
            token = self.take()
            node = _Binary(token.kind, node, self.product(), token.pos)
        return node

    def product(self) -> _Node:
        node = self.unary()
        while self.peek.kind in ("*", "/"):
            token = self.take()
            node = _Binary(token.kind, node, self.unary(), token.pos)
        return node

    def deeper(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(self.text, pos, f"more than {MAX_DEPTH} levels of nesting")

    def unary(self) -> _Node:
        token = self.peek
        if token.kind in ("+", "-"):
            self.take()
            self.deeper(token.pos)
            operand = self.unary()
            self.depth -= 1
            return _Negate(operand) if token.kind == "-" else operand
        return self.primary()

    def primary(self) -> _Node:
        token = self.peek
        if token.kind == "num":
            self.take()
            return _Number(Decimal(token.text))
        if token.kind == "name":
            return self.reference()
        if token.kind == "(":
            self.take()
            self.deeper(token.pos)
            node = self.sum()
            self.depth -= 1
            self.expect(")", "')'")
            return node
        raise ExpressionError(self.text, token.pos, "expected a number, a metric id or '('")

    def reference(self) -> MetricRef:
        name = self.take()
        if self.peek.kind != "[":
            return MetricRef(name.text, (), name.pos)
        self.take()
        pairs: dict[str, str] = {}
        while True:
            category = self.expect("name", "a category id")
            self.expect("=", "'='")
            option = self.expect("name", "an option id")
            if category.text in pairs:
                raise ExpressionError(self.text, category.pos, "a category is given once")
            pairs[category.text] = option.text
            if self.peek.kind == "]":
                self.take()
                break
            self.expect(",", "',' or ']'")
        return MetricRef(name.text, tuple(sorted(pairs.items())), name.pos)


# -- bounds ------------------------------------------------------------------------------------


@attrs.frozen
class Bounds:
    """What is known of a number: it lies between ``low`` and ``high`` (both included).

    An exact figure is a point; "at least 58,000" is ``[58000, ∞)``; "at most
    30" is ``[0, 30]`` (figures are never negative), but ``(-∞, 30]`` for a
    metric declared ``signed`` (a change figure); a missing figure, when a
    rule is told never to skip, is ``[0, ∞)``, *unknown*, never zero
    (``(-∞, ∞)`` for a signed metric).
    ``approximate`` marks a point that is only an estimate ("khoảng").

    Attributes:
        low: Lower bound (``-Infinity`` when unbounded below).
        high: Upper bound (``Infinity`` when unbounded above).
        approximate: An estimate is involved: a conclusion from it is not certain.
    """

    low: Decimal
    high: Decimal
    approximate: bool = False

    @classmethod
    def point(cls, value: Decimal | int, *, approximate: bool = False) -> Bounds:
        """The single value ``value``."""
        v = Decimal(value)
        return cls(v, v, approximate)

    @property
    def is_point(self) -> bool:
        """Whether the value is known to one number."""
        return self.low == self.high

    def __str__(self) -> str:
        if self.is_point:
            return ("~" if self.approximate else "") + _num(self.low)
        low = "-∞" if self.low == -INF else _num(self.low)
        high = "∞" if self.high == INF else _num(self.high)
        return f"[{low}, {high}]"


def _num(value: Decimal) -> str:
    return format(value.normalize(_CONTEXT), "f")


UNKNOWN: Final = Bounds(ZERO, INF)
UNKNOWN_CHANGE: Final = Bounds(-INF, INF)
"""A missing figure of a ``signed`` metric (a change): it may be anything."""
_ANYTHING: Final = UNKNOWN_CHANGE


def _mul(a: Decimal, b: Decimal) -> Decimal:
    if a.is_zero() or b.is_zero():
        return ZERO  # 0 × ∞ is 0 for the bounds of a product
    return _CONTEXT.multiply(a, b)


def _combine(op: str, a: Bounds, b: Bounds) -> Bounds:
    try:
        return _combine_bounds(op, a, b)
    except decimal.DecimalException:  # ∞/∞, or beyond the context's exponent range
        return attrs.evolve(_ANYTHING, approximate=a.approximate or b.approximate)


def _combine_bounds(op: str, a: Bounds, b: Bounds) -> Bounds:
    approx = a.approximate or b.approximate
    c = _CONTEXT
    if op == "+":
        return Bounds(c.add(a.low, b.low), c.add(a.high, b.high), approx)
    if op == "-":
        return Bounds(c.subtract(a.low, b.high), c.subtract(a.high, b.low), approx)
    if op == "*":
        products = [_mul(x, y) for x in (a.low, a.high) for y in (b.low, b.high)]
        return Bounds(min(products), max(products), approx)
    # division: undefined when the divisor may be zero
    if b.low <= 0 <= b.high:
        return attrs.evolve(_ANYTHING, approximate=approx)
    quotients = [c.divide(x, y) for x in (a.low, a.high) for y in (b.low, b.high)]
    return Bounds(min(quotients), max(quotients), approx)


@attrs.frozen
class Expression:
    """A parsed rule expression: metric ids, numbers, ``+ − × ÷`` and parentheses.

    Syntax: a metric id (``tips_received``), optionally one slice of it in
    brackets (``released_prisoners_employed[capital_source=family]``, several
    categories separated by commas); numbers with ``.`` as the decimal mark
    (``1.5``); ``+``, ``-`` (or ``−``), ``*`` (or ``×``), ``/`` (or ``÷``);
    parentheses; unary minus. Ids with characters other than letters, digits,
    ``_`` and ``.``, or starting with a digit, go between backquotes
    (```my-metric```).

    >>> e = Expression.parse("a[capital_source=family] + b × (c − 2)")
    >>> str(e)
    'a[capital_source=family] + b * (c - 2)'
    >>> [str(r) for r in e.refs]
    ['a[capital_source=family]', 'b', 'c']

    Attributes:
        text: The expression as written.
    """

    text: str
    _root: _Node = attrs.field(alias="root", repr=False, eq=False)

    @classmethod
    def parse(cls, text: str) -> Expression:
        """Read ``text``.

        Raises:
            ExpressionError: It is not a valid expression; the error gives the position.
        """
        if not isinstance(text, str):
            raise ExpressionError(repr(text)[:80], 0, "an expression is a string")
        if len(text) > MAX_EXPRESSION_LENGTH:
            raise ExpressionError(
                text, MAX_EXPRESSION_LENGTH, f"longer than {MAX_EXPRESSION_LENGTH} characters"
            )
        return cls(text, _Parser(text).parse())

    @property
    def refs(self) -> tuple[MetricRef, ...]:
        """The metric references, in order of appearance, each once."""
        seen: dict[MetricRef, None] = {}
        for ref in _walk(self._root):
            seen.setdefault(ref)
        return tuple(seen)

    def __str__(self) -> str:
        return _show(self._root, 0)

    def evaluate(self, value_of: Callable[[MetricRef], Bounds]) -> Bounds:
        """The bounds of the expression, given the bounds of each metric reference."""
        return _evaluate(self._root, value_of)


def _walk(node: _Node) -> Iterator[MetricRef]:
    if isinstance(node, MetricRef):
        yield node
    elif isinstance(node, _Negate):
        yield from _walk(node.operand)
    elif isinstance(node, _Binary):
        yield from _walk(node.left)
        yield from _walk(node.right)


_PRECEDENCE: Final = {"+": 1, "-": 1, "*": 2, "/": 2}


def _show(node: _Node, outer: int) -> str:
    if isinstance(node, _Number):
        return _num(node.value)
    if isinstance(node, MetricRef):
        return str(node)
    if isinstance(node, _Negate):
        return "-" + _show(node.operand, 3)
    p = _PRECEDENCE[node.op]
    # The right operand of - and / binds tighter: a - (b - c) keeps its parentheses.
    right_outer = p + 1 if node.op in "-/" else p
    text = f"{_show(node.left, p)} {node.op} {_show(node.right, right_outer)}"
    return f"({text})" if p < outer else text


def _evaluate(node: _Node, value_of: Callable[[MetricRef], Bounds]) -> Bounds:
    if isinstance(node, _Number):
        return Bounds.point(node.value)
    if isinstance(node, MetricRef):
        return value_of(node)
    if isinstance(node, _Negate):
        b = _evaluate(node.operand, value_of)
        return Bounds(-b.high, -b.low, b.approximate)
    return _combine(node.op, _evaluate(node.left, value_of), _evaluate(node.right, value_of))


def summands(expression: Expression) -> tuple[MetricRef, ...] | None:
    """The references ``expression`` adds up, in order, if it only adds references; else ``None``.

    ``a + b[c=d] + a`` gives ``(a, b[c=d], a)``; anything with a number, a
    minus, a product or a quotient gives ``None``.
    """
    found: list[MetricRef] = []
    stack: list[_Node] = [expression._root]
    while stack:
        node = stack.pop()
        if isinstance(node, MetricRef):
            found.append(node)
        elif isinstance(node, _Binary) and node.op == "+":
            stack.append(node.right)
            stack.append(node.left)
        else:
            return None
    return tuple(found)


def dimension(expression: Expression, dimension_of: Callable[[MetricRef], str]) -> str | None:
    """The dimension an expression measures (``"person"``, ``"area"``...), ``None`` if plain.

    Raises:
        ValueError: It adds or subtracts figures of different dimensions
            (persons and household attendances never add).
    """
    return _dimension(expression._root, dimension_of)


def _dimension(node: _Node, dimension_of: Callable[[MetricRef], str]) -> str | None:
    if isinstance(node, _Number):
        return None
    if isinstance(node, MetricRef):
        return dimension_of(node)
    if isinstance(node, _Negate):
        return _dimension(node.operand, dimension_of)
    left = _dimension(node.left, dimension_of)
    right = _dimension(node.right, dimension_of)
    if node.op in "*/":
        return None
    if left is not None and right is not None and left != right:
        msg = f"it adds or subtracts {left} and {right}, which measure different things"
        raise ValueError(msg)
    return left if left is not None else right
