"""A clock a test moves by hand (the boards' publisher takes one)."""
from __future__ import annotations


class FakeClock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t
