"""A grid-world MDP: walls, terminal goals and pits, per-step and per-cell rewards, and a slip
probability. It exposes the full model (for value and policy iteration) and a sampling
interface (for Q-learning and SARSA)."""
from __future__ import annotations

import numpy as np

ACTIONS = ("up", "right", "down", "left")
_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))
ARROWS = "^>v<"


class GridWorld:
    """Grid world from a text layout, one string per row:

        "S"  start          "."  free cell        "#"  wall
        "G"  goal (terminal, reward goal_reward on entry)
        "X"  pit  (terminal, reward pit_reward on entry)

    Every move earns step_reward, plus the entered cell's reward (goal/pit, or `cell_rewards`
    {(row, col): reward} for any cell). A move into a wall or off the grid stays put. With
    probability `slip` the move goes to one of the two perpendicular directions instead (each
    slip / 2), as in Russell and Norvig's 4x3 world. Terminal states absorb with reward 0.

    States are the non-wall cells numbered in row-major order: `state_of[(row, col)]`,
    `cell_of[state]`. `P[s, a, s']` and `R[s, a]` (expected reward) give the model.
    """

    def __init__(self, layout, *, step_reward=0.0, goal_reward=1.0, pit_reward=-1.0, slip=0.0,
                 cell_rewards=None):
        rows = [str(r) for r in layout]
        if not rows or any(len(r) != len(rows[0]) for r in rows) or not rows[0]:
            raise ValueError(f"layout must be non-empty rows of equal length, got {layout!r}")
        unknown = set("".join(rows)) - set("SG.X#")
        if unknown:
            raise ValueError(f"layout: unknown cell types {sorted(unknown)}; use S G X . #")
        starts = [(i, j) for i, r in enumerate(rows) for j, ch in enumerate(r) if ch == "S"]
        if len(starts) != 1:
            raise ValueError(f"layout must hold exactly one start 'S', got {len(starts)}")
        if not 0.0 <= slip <= 1.0:
            raise ValueError(f"slip must lie in [0, 1], got {slip}")
        self.layout = rows
        self.shape = (len(rows), len(rows[0]))
        self.slip = float(slip)
        self.cell_of = [(i, j) for i, r in enumerate(rows) for j, ch in enumerate(r) if ch != "#"]
        self.state_of = {cell: s for s, cell in enumerate(self.cell_of)}
        self.start = self.state_of[starts[0]]
        self.terminal = np.array([rows[i][j] in "GX" for i, j in self.cell_of])
        entry = np.array([{"G": goal_reward, "X": pit_reward}.get(rows[i][j], 0.0)
                          for i, j in self.cell_of], dtype=np.float64)
        for cell, reward in (cell_rewards or {}).items():
            if tuple(cell) not in self.state_of:
                raise ValueError(f"cell_rewards: {cell} is a wall or outside the grid")
            entry[self.state_of[tuple(cell)]] = reward
        self.entry_reward = entry
        self.step_reward = float(step_reward)
        self.P, self.R = self._model()
        self.rng = np.random.default_rng()
        self.state = self.start

    @property
    def n_states(self):
        """The number of non-wall cells."""
        return len(self.cell_of)

    @property
    def n_actions(self):
        """Four moves: up, right, down, left."""
        return len(ACTIONS)

    def _target(self, s, a):
        i, j = self.cell_of[s]
        di, dj = _MOVES[a]
        cell = (i + di, j + dj)
        return self.state_of.get(cell, s)  # walls and the border are not in state_of

    def _model(self):
        S, A = self.n_states, self.n_actions
        P = np.zeros((S, A, S))
        for s in range(S):
            if self.terminal[s]:
                P[s, :, s] = 1.0
                continue
            for a in range(A):
                for direction, p in ((a, 1.0 - self.slip), ((a + 1) % 4, self.slip / 2),
                                     ((a + 3) % 4, self.slip / 2)):
                    if p > 0:
                        P[s, a, self._target(s, direction)] += p
        reward = np.where(self.terminal[:, None, None], 0.0,
                          self.step_reward + self.entry_reward[None, None, :])
        return P, (P * reward).sum(-1)

    def reward(self, s, s_next):
        """The reward of moving from state s into state s_next."""
        return 0.0 if self.terminal[s] else self.step_reward + self.entry_reward[s_next]

    def reset(self, *, seed=None):
        """Start an episode (seeding the slip generator when seed is given); returns the start."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.state = self.start
        return self.state

    def step(self, action):
        """Take `action` (0 up, 1 right, 2 down, 3 left): returns (next_state, reward, done)."""
        if not 0 <= action < self.n_actions:
            raise ValueError(f"action must be in 0..3, got {action!r}")
        s = self.state
        s_next = int(self.rng.choice(self.n_states, p=self.P[s, action]))
        self.state = s_next
        return s_next, self.reward(s, s_next), bool(self.terminal[s_next])

    def render_policy(self, policy):
        """The policy drawn as arrows on the grid (walls '#', goals 'G', pits 'X')."""
        lines = []
        for i, row in enumerate(self.layout):
            line = ""
            for j, ch in enumerate(row):
                s = self.state_of.get((i, j))
                line += ch if s is None or self.terminal[s] else ARROWS[int(policy[s])]
            lines.append(line)
        return "\n".join(lines)
