"""Looking things up by name: tolerant keys and did-you-mean messages (places, aircraft types)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


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
