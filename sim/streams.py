"""Random streams keyed by name: one generator per concern, independent of every other.

A run draws from ``numpy.random.SeedSequence(seed, spawn_key=(stable_hash(name),))`` per
concern (``traffic``, each mechanism by its protocol table name, ...), so adding, removing or
reordering mechanisms never shifts another's draws. Decisions about one thing in particular
(does *this* flight comply with *this* notice?) use :meth:`Streams.uniform` with keys, which
gives the same answer whatever else happened in the run, in whatever order it is asked.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["Streams", "stable_hash"]

_U53 = float(2**53)


def stable_hash(name: str) -> int:
    """A 32-bit number from a name, the same in every process and Python version.

    Examples
    --------
    >>> stable_hash("traffic") == stable_hash("traffic"), stable_hash("traffic") < 2**32
    (True, True)
    """
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little")


class Streams:
    """The random streams of one run, created on first use from ``seed`` and a name.

    Examples
    --------
    >>> a, b = Streams(7), Streams(7)
    >>> float(a["radio"].uniform()) == float(b["radio"].uniform())
    True
    >>> _ = a["hotline"].random(100)  # drawing elsewhere changes nothing here
    >>> float(a["keep_out"].uniform()) == float(b["keep_out"].uniform())
    True
    >>> a.uniform("keep_out", "RU-Su34-3") == b.uniform("keep_out", "RU-Su34-3")
    True
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}

    def sequence(self, name: str, *keys: str) -> np.random.SeedSequence:
        """The seed sequence of stream ``name`` (and of a keyed draw under it)."""
        key = (stable_hash(name), *(stable_hash(k) for k in keys))
        return np.random.SeedSequence(self.seed, spawn_key=key)

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._generators.get(name)
        if gen is None:
            gen = self._generators[name] = np.random.default_rng(self.sequence(name))
        return gen

    def uniform(self, name: str, *keys: str) -> float:
        """A uniform number in [0, 1) that depends only on the seed, ``name`` and ``keys``."""
        word = self.sequence(name, *keys).generate_state(1, np.uint64)[0]
        return float(word >> np.uint64(11)) / _U53
