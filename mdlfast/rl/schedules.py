"""Exploration schedules: episode -> epsilon."""
from __future__ import annotations


def linear_epsilon(start=1.0, end=0.05, episodes=100):
    """Epsilon falls linearly from start to end over `episodes`, then stays at end."""
    if episodes <= 0:
        raise ValueError(f"episodes must be > 0, got {episodes}")
    return lambda k: end + (start - end) * max(0.0, 1.0 - k / episodes)


def exponential_epsilon(start=1.0, end=0.01, decay=0.99):
    """Epsilon = max(end, start * decay^episode)."""
    if not 0 < decay <= 1:
        raise ValueError(f"decay must lie in (0, 1], got {decay}")
    return lambda k: max(end, start * decay ** k)
