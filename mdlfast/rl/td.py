"""Tabular temporal-difference control: Q-learning (off-policy) and SARSA (on-policy), with
epsilon-greedy exploration."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TDResult:
    """The learned action values Q [S, A], their greedy policy, each episode's return and
    length, and how often each state was visited (start states included) over all episodes."""

    Q: np.ndarray
    policy: np.ndarray
    returns: np.ndarray
    lengths: np.ndarray
    visits: np.ndarray


def epsilon_greedy(Q_row, epsilon, rng):
    """A random action with probability epsilon, else a greedy one (ties broken at random)."""
    if rng.random() < epsilon:
        return int(rng.integers(len(Q_row)))
    best = np.flatnonzero(Q_row == Q_row.max())
    return int(best[rng.integers(len(best))])


def q_learning(env, episodes, *, alpha=0.1, gamma=0.99, epsilon=0.1, max_steps=1000,
               seed=None):
    """Q(s, a) <- Q(s, a) + alpha (r + gamma max_a' Q(s', a') - Q(s, a)), acting
    epsilon-greedily. epsilon and alpha may be floats or schedules episode -> value."""
    return _control(env, episodes, alpha, gamma, epsilon, max_steps, seed, on_policy=False)


def sarsa(env, episodes, *, alpha=0.1, gamma=0.99, epsilon=0.1, max_steps=1000, seed=None):
    """Q(s, a) <- Q(s, a) + alpha (r + gamma Q(s', a') - Q(s, a)) with a' the action actually
    taken next (epsilon-greedy), so it learns the value of the exploring policy itself."""
    return _control(env, episodes, alpha, gamma, epsilon, max_steps, seed, on_policy=True)


def _as_schedule(value, name):
    if callable(value):
        return value
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1] (or be a schedule), got {value!r}")
    return lambda k: value


def _control(env, episodes, alpha, gamma, epsilon, max_steps, seed, on_policy):
    if int(episodes) != episodes or episodes < 1:
        raise ValueError(f"episodes must be a positive integer, got {episodes!r}")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must lie in [0, 1], got {gamma}")
    alpha_at = _as_schedule(alpha, "alpha")
    epsilon_at = _as_schedule(epsilon, "epsilon")
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.n_states, env.n_actions))
    returns, lengths = np.zeros(int(episodes)), np.zeros(int(episodes), dtype=np.int64)
    visits = np.zeros(env.n_states, dtype=np.int64)
    for episode in range(int(episodes)):
        lr, eps = alpha_at(episode), epsilon_at(episode)
        s = env.reset(seed=int(rng.integers(2**63)))
        a = epsilon_greedy(Q[s], eps, rng)
        total, discount = 0.0, 1.0
        visits[s] += 1
        for t in range(max_steps):
            s_next, r, done = env.step(a)
            visits[s_next] += 1
            total += discount * r
            discount *= gamma
            a_next = epsilon_greedy(Q[s_next], eps, rng)
            if done:
                target = r
            elif on_policy:
                target = r + gamma * Q[s_next, a_next]
            else:
                target = r + gamma * Q[s_next].max()
            Q[s, a] += lr * (target - Q[s, a])
            s, a = s_next, a_next
            if done:
                break
        returns[episode], lengths[episode] = total, t + 1
    return TDResult(Q, Q.argmax(1), returns, lengths, visits)
