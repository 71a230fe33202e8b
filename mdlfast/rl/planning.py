"""Dynamic programming on a known MDP (P[s, a, s'], R[s, a]): value iteration and policy
iteration, each returning the state values and the greedy policy."""
from __future__ import annotations

import numpy as np


def _model(mdp, gamma):
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must lie in [0, 1], got {gamma}")
    P, R = np.asarray(mdp.P, dtype=np.float64), np.asarray(mdp.R, dtype=np.float64)
    if P.ndim != 3 or P.shape[0] != P.shape[2] or R.shape != P.shape[:2]:
        raise ValueError(f"need P [S, A, S] and R [S, A], got {P.shape} and {R.shape}")
    return P, R


def q_values(mdp, V, gamma):
    """Q[s, a] = R[s, a] + gamma sum_s' P[s, a, s'] V[s']."""
    P, R = _model(mdp, gamma)
    return R + gamma * P @ V


def value_iteration(mdp, gamma=0.99, *, tol=1e-10, max_iter=100_000):
    """Iterate V <- max_a Q(V) until the largest change is below tol.

    Returns (V, policy) with policy[s] the greedy action (lowest index among ties). gamma = 1
    converges when every policy reaches a terminal state.
    """
    P, R = _model(mdp, gamma)
    V = np.zeros(P.shape[0])
    for _ in range(max_iter):
        updated = (R + gamma * P @ V).max(1)
        if np.abs(updated - V).max() < tol:
            V = updated
            break
        V = updated
    else:
        raise RuntimeError(f"value_iteration did not converge in {max_iter} sweeps")
    return V, (R + gamma * P @ V).argmax(1)


def policy_evaluation(mdp, policy, gamma):
    """V of a deterministic policy, solving (I - gamma P_pi) V = R_pi exactly over the states
    that are not absorbing (an absorbing, reward-free state has value 0)."""
    P, R = _model(mdp, gamma)
    states = np.arange(P.shape[0])
    absorbing = np.all(P[states, :, states] == 1.0, axis=1) & np.all(R == 0.0, axis=1)
    live = np.flatnonzero(~absorbing)
    P_pi, R_pi = P[live, policy[live]][:, live], R[live, policy[live]]
    V = np.zeros(len(states))
    try:
        V[live] = np.linalg.solve(np.eye(len(live)) - gamma * P_pi, R_pi)
        return V
    except np.linalg.LinAlgError as error:
        raise ValueError("policy_evaluation: the policy's value is undefined (with gamma = 1, "
                         "some state never reaches a terminal state); use gamma < 1") from error


def policy_iteration(mdp, gamma=0.99, *, max_iter=1000):
    """Alternate exact policy evaluation and greedy improvement until the policy is stable.

    Starts from the policy greedy for the immediate reward; an action changes only when it is
    strictly better, so the loop ends. Returns (V, policy).
    """
    P, R = _model(mdp, gamma)
    policy = R.argmax(1)
    for _ in range(max_iter):
        V = policy_evaluation(mdp, policy, gamma)
        Q = R + gamma * P @ V
        current = Q[np.arange(len(policy)), policy]
        better = Q.max(1) > current + 1e-12 * np.maximum(1.0, np.abs(current))
        if not better.any():
            return V, policy
        policy = np.where(better, Q.argmax(1), policy)
    raise RuntimeError(f"policy_iteration did not converge in {max_iter} iterations")
