"""Looking things up by name: tolerant keys and did-you-mean messages (places, aircraft types)."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def normalise(text: str) -> str:
    """Lookup key: case-, accent-, space- and punctuation-insensitive.

    Examples
    --------
    >>> normalise("Deir ez-Zor"), normalise("F/A-18E")
    ('deirezzor', 'fa18e')
    """
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum())


def did_you_mean(suggestions: Sequence[str]) -> str:
    """``"; did you mean 'a' or 'b'?"``, or nothing when there is no suggestion."""
    if not suggestions:
        return ""
    quoted = [repr(s) for s in suggestions]
    if len(quoted) == 1:
        return f"; did you mean {quoted[0]}?"
    return f"; did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"


class UnknownNameError(LookupError):
    """Nothing has this name or alias.

    Attributes
    ----------
    name : str
        The name that was looked up.
    suggestions : tuple of str
        Close names or aliases, best first (possibly empty).
    """

    what = "name"

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(name, tuple(suggestions))
        self.name = name
        self.suggestions = tuple(suggestions)

    def __str__(self) -> str:
        return f"unknown {self.what} {self.name!r}{did_you_mean(self.suggestions)}"


@dataclass(frozen=True)
class NameIndex:
    """Normalised name or alias -> (label as written, canonical name)."""

    entries: dict[str, tuple[str, str]]

    @classmethod
    def build(cls, what: str, items: Iterable[tuple[str, Iterable[str]]]) -> NameIndex:
        """An index of canonical names and their aliases (``what`` names the kind in errors)."""
        entries: dict[str, tuple[str, str]] = {}
        for canonical, labels in items:
            for label in (canonical, *labels):
                key = normalise(label)
                if not key:
                    raise ValueError(f"{what} {canonical!r}: name or alias {label!r} is empty")
                previous = entries.setdefault(key, (label, canonical))
                if previous[1] != canonical:
                    raise ValueError(
                        f"{what} name or alias {label!r} of {canonical!r} clashes with "
                        f"{previous[0]!r} of {previous[1]!r}"
                    )
        return cls(entries)

    def get(self, query: str) -> str | None:
        """The canonical name ``query`` stands for, or ``None``."""
        hit = self.entries.get(normalise(query))
        return hit[1] if hit else None

    def suggest(self, query: str, limit: int = 3) -> tuple[str, ...]:
        """Close labels, best first, at most one per canonical name."""
        keys = difflib.get_close_matches(normalise(query), self.entries, n=12, cutoff=0.6)
        labels: list[str] = []
        seen: set[str] = set()
        for key in keys:
            label, canonical = self.entries[key]
            if canonical not in seen:
                seen.add(canonical)
                labels.append(label)
        return tuple(labels[:limit])
