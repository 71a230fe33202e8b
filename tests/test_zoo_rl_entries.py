"""The tabular RL zoo entries: value iteration agrees with policy iteration; on the cliff walk
Q-learning's greedy path takes the edge (-13) while SARSA's keeps away from it."""
from __future__ import annotations

import numpy as np

from mdlfast import rl
from mdlfast.models import registry
from mdlfast.models.zoo_rl import CLIFF, greedy_return


def test_value_iteration_entry_agrees_with_policy_iteration():
    metrics = registry.get("value_iteration").run(quick=True).metrics
    assert metrics["agreement_with_policy_iteration"] == 1.0 and metrics["states"] == 11
    assert 0.0 < metrics["start_value"] < 1.0


def test_cliff_walk_entries_learn_the_edge_and_the_safe_path():
    q = registry.get("q_learning").run(seed=0).metrics
    s = registry.get("sarsa").run(seed=0).metrics
    assert q["greedy_return"] == -13.0
    assert -30.0 < s["greedy_return"] < -13.0
    assert s["edge_visit_fraction"] < q["edge_visit_fraction"]


def test_greedy_return_follows_the_policy_to_a_terminal_state():
    world = rl.GridWorld(CLIFF, step_reward=-1.0, goal_reward=0.0, pit_reward=-100.0)
    right = np.full(world.n_states, 1)  # straight into the cliff from the start
    assert greedy_return(world, right) == -101.0
    up_then_right = right.copy()
    up_then_right[world.start] = 0
    for j in range(11):
        up_then_right[world.state_of[(2, j)]] = 1
    up_then_right[world.state_of[(2, 11)]] = 2
    assert greedy_return(world, up_then_right) == -13.0
