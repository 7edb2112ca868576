"""Small lemma patterns matched on a :class:`~processors.language.Reading`: words in order,
each a set of words or lemmas, with gaps; and the checks around a match (words near it).
Pure; the patterns of churn intent and tone are built once, at import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from processors.language import Reading

Slot = tuple[frozenset[str], tuple[str, ...], tuple[str, ...], bool]


@dataclass(frozen=True)
class Pattern:
    """Words in order, each a set of words or lemmas, with at most ``gaps[i]`` other words
    between slot i and slot i+1. Written as ``"cancel|terminate ~2 contract|account"``:
    ``|`` separates options, ``~N`` allows N words in between, ``x*`` and ``*x`` match a
    prefix or suffix (German compounds), ``@NAME`` a capitalised name (a brand).

    >>> from processors.language import read
    >>> Pattern.parse("cancel ~2 contract").find(read("I'll cancel the contract"))
    (2, 4)
    """

    slots: tuple[Slot, ...]
    gaps: tuple[int, ...]
    source: str
    # Per slot matched by exact words only: the words, one of which the text must hold.
    required: tuple[frozenset[str], ...] = ()

    @classmethod
    def parse(cls, source: str) -> Pattern:
        slots: list[Slot] = []
        gaps: list[int] = []
        gap = 0
        for part in source.split():
            if part.startswith("~"):
                gap = int(part[1:])
                continue
            if slots:
                gaps.append(gap)
            gap = 0
            options = part.split("|")
            exact = frozenset(o for o in options if "*" not in o and o != "@NAME")
            prefixes = tuple(o[:-1] for o in options if o.endswith("*"))
            suffixes = tuple(o[1:] for o in options if o.startswith("*"))
            slots.append((exact, prefixes, suffixes, "@NAME" in options))
        required = tuple(s[0] for s in slots if not (s[1] or s[2] or s[3]))
        return cls(tuple(slots), tuple(gaps), source, required)

    def _fits(self, slot: Slot, reading: Reading, i: int) -> bool:
        exact, prefixes, suffixes, name = slot
        word, lemma = reading.words[i], reading.lemmas[i]
        return (
            word in exact
            or lemma in exact
            or (name and reading.names[i])
            or any(word.startswith(p) for p in prefixes)
            or any(word.endswith(s) for s in suffixes)
        )

    def find(
        self, reading: Reading, negated: bool | None = False, reach: int = 0, start: int = 0
    ) -> tuple[int, int] | None:
        """The first span (first word, last word) that matches.

        ``negated=False`` skips spans a negation scopes over, ``True`` keeps only those,
        ``None`` takes any; the search begins at word ``start``."""
        vocabulary = reading.vocabulary
        for needs in self.required:
            if needs.isdisjoint(vocabulary):
                return None  # a word it needs is not in the text: most patterns stop here
        slot = self.slots[0]
        exact, prefixes, suffixes, name = slot
        words, lemmas = reading.words, reading.lemmas
        if prefixes or suffixes or name:
            firsts = [i for i in range(start, len(words)) if self._fits(slot, reading, i)]
        else:
            firsts = [
                i for i in range(start, len(words)) if words[i] in exact or lemmas[i] in exact
            ]
        for first in firsts:
            end = self._extend(reading, 1, first)
            if end is None:
                continue
            if negated is None or reading.negated(first, end, reach) == negated:
                return first, end
        return None

    def _extend(self, reading: Reading, k: int, at: int) -> int | None:
        if k == len(self.slots):
            return at
        for nxt in range(at + 1, min(len(reading), at + 2 + self.gaps[k - 1])):
            if self._fits(self.slots[k], reading, nxt):
                end = self._extend(reading, k + 1, nxt)
                if end is not None:
                    return end
        return None


class Patterns(tuple[Pattern, ...]):
    """Patterns tried in order, indexed by a word each one needs (the fewest it can do
    with), so that :meth:`candidates` passes over the ones a text lacks the words of."""

    _always: tuple[int, ...]  # the patterns that need no exact word
    _always_patterns: tuple[Pattern, ...]
    _by_word: dict[str, tuple[int, ...]]
    _words: frozenset[str]

    def __new__(cls, options: Iterable[Pattern]) -> Patterns:
        self = super().__new__(cls, options)
        self._always = tuple(n for n, p in enumerate(self) if not p.required)
        self._always_patterns = tuple(self[n] for n in self._always)
        self._by_word = {}
        for n, pattern in enumerate(self):
            if pattern.required:
                for word in min(pattern.required, key=len):
                    self._by_word[word] = (*self._by_word.get(word, ()), n)
        self._words = frozenset(self._by_word)
        return self

    def candidates(self, reading: Reading) -> tuple[Pattern, ...]:
        """The patterns that may match in ``reading``, in order: the others need a word
        it does not hold, and find nothing there."""
        found = self._words.intersection(reading.vocabulary)
        if not found:
            return self._always_patterns
        chosen = set(self._always).union(*(self._by_word[word] for word in found))
        return tuple(self[n] for n in sorted(chosen))


def patterns(*sources: str) -> Patterns:
    return Patterns(Pattern.parse(s) for s in sources)


def candidates(options: Iterable[Pattern], reading: Reading) -> Iterable[Pattern]:
    """``options`` without those that cannot match in ``reading`` (as far as an index of
    :class:`Patterns` tells; other collections are tried whole)."""
    return options.candidates(reading) if isinstance(options, Patterns) else options


def near(reading: Reading, span: tuple[int, int], words: frozenset[str], after: int = 6) -> bool:
    """Whether one of ``words`` (or its lemma) lies in the span or past it in its clause, at
    most ``after`` words on."""
    start, end = span
    stop = min(len(reading), end + 1 + after)
    return any(
        reading.clauses[i] == reading.clauses[start]
        and (reading.words[i] in words or reading.lemmas[i] in words)
        for i in range(start, stop)
    )
