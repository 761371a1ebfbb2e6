"""A fast, seeded random source for the per-patient simulation.

numpy's ``Generator`` costs about a microsecond per scalar call; the simulation makes hundreds
of draws per patient, so :class:`Rand` draws uniforms, normals and bytes from the generator in
blocks and hands them out one by one. Everything stays a pure function of the seed: the same
``(seed, patient index, stream)`` gives the same draws, in the same order, on every machine.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

__all__ = ["Rand", "cumulative", "patient_rand"]

T = TypeVar("T")

_BLOCK = 512
# RFC 4122 variant: the top two bits of the 17th hex digit are 10.
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}

#: Stream numbers: each patient gets independent streams so that turning drift or defects on
#: leaves the clean content drawn before a drift date (or outside a defect) unchanged.
STREAM_PATIENT = 0
STREAM_SCHEDULE = 1
STREAM_EVENTS = 2
STREAM_DEFECTS = 3


class Rand:
    """Block-buffered draws from one numpy ``Generator``."""

    __slots__ = ("_b", "_bi", "_gen", "_n", "_ni", "_u", "_ui")

    def __init__(self, gen: np.random.Generator) -> None:
        self._gen = gen
        self._u: list[float] = []
        self._ui = 0
        self._n: list[float] = []
        self._ni = 0
        self._b = ""
        self._bi = 0

    @classmethod
    def from_seed(cls, *entropy: int) -> Rand:
        """A ``Rand`` seeded from the integers ``entropy`` through a numpy ``SeedSequence``."""
        return cls(np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(entropy)))))

    def random(self) -> float:
        """A uniform float in [0, 1)."""
        i = self._ui
        if i >= len(self._u):
            self._u = self._gen.random(_BLOCK).tolist()
            i = 0
        self._ui = i + 1
        return self._u[i]

    def normal(self, mean: float = 0.0, sd: float = 1.0) -> float:
        """A normal draw with the given mean and standard deviation."""
        i = self._ni
        if i >= len(self._n):
            self._n = self._gen.standard_normal(_BLOCK).tolist()
            i = 0
        self._ni = i + 1
        return mean + sd * self._n[i]

    def lognormal(self, median: float, sigma: float) -> float:
        """A log-normal draw with the given median and log-scale spread."""
        return median * math.exp(sigma * self.normal())

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.random() < p

    def randint(self, lo: int, hi: int) -> int:
        """A uniform integer in ``[lo, hi]`` (both ends included)."""
        return lo + int(self.random() * (hi - lo + 1))

    def uniform(self, lo: float, hi: float) -> float:
        """A uniform float in ``[lo, hi)``."""
        return lo + (hi - lo) * self.random()

    def choice(self, items: Sequence[T]) -> T:
        """One item of ``items``, uniformly."""
        return items[int(self.random() * len(items))]

    def weighted(self, items: Sequence[T], cum: Sequence[float]) -> T:
        """One item of ``items`` drawn with cumulative weights ``cum`` (:func:`cumulative`)."""
        return items[bisect_right(cum, self.random() * cum[-1])]

    def exponential(self, mean: float) -> float:
        """An exponential draw with the given mean."""
        return -mean * math.log(1.0 - self.random())

    def poisson(self, lam: float) -> int:
        """A Poisson count with mean ``lam`` (Knuth's product method for small means)."""
        if lam <= 0:
            return 0
        if lam > 30:
            return max(0, round(self.normal(lam, math.sqrt(lam))))
        limit = math.exp(-lam)
        k = 0
        p = self.random()
        while p > limit:
            k += 1
            p *= self.random()
        return k

    def digits(self, n: int) -> str:
        """``n`` random decimal digits."""
        return "".join(chr(48 + int(self.random() * 10)) for _ in range(n))

    def uuid(self) -> str:
        """A random (version 4) UUID string drawn from the seeded stream."""
        i = self._bi
        if i + 32 > len(self._b):
            self._b = self._gen.bytes(16 * 64).hex()
            i = 0
        self._bi = i + 32
        h = self._b[i : i + 32]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def cumulative(weights: Sequence[float]) -> list[float]:
    """Running sums of ``weights``, for :meth:`Rand.weighted`."""
    out: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def patient_rand(seed: int, index: int, stream: int) -> Rand:
    """The random source of one patient's stream, a pure function of (seed, index, stream)."""
    return Rand.from_seed(seed, index, stream)
