"""Grid world, value and policy iteration, Q-learning and SARSA."""
from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from mdlfast import rl

AIMA_LAYOUT = ["...G", ".#.X", "S..."]
# Russell & Norvig, AIMA (3rd ed.) Fig. 17.3: utilities of the 4x3 world with step reward
# -0.04, slip 0.2 (0.1 to each side) and gamma = 1, in the row-major order of the free cells.
AIMA_UTILITIES = [0.812, 0.868, 0.918, 0.0, 0.762, 0.660, 0.0, 0.705, 0.655, 0.611, 0.388]

MAZE = ["S.#....",
        ".##.##.",
        "...#..G",
        ".#...#."]


def _bfs_distance(world):
    """Moves to the nearest goal from each state in the deterministic world."""
    distance = np.full(world.n_states, np.inf)
    queue = deque(s for s in range(world.n_states) if world.layout[world.cell_of[s][0]]
                  [world.cell_of[s][1]] == "G")
    for s in queue:
        distance[s] = 0
    while queue:
        s = queue.popleft()
        for t in range(world.n_states):
            if not world.terminal[t] and np.isinf(distance[t]) and world.P[t, :, s].any():
                distance[t] = distance[s] + 1
                queue.append(t)
    return distance


def test_model_is_stochastic_and_slips_sideways():
    world = rl.GridWorld(AIMA_LAYOUT, step_reward=-0.04, slip=0.2)
    np.testing.assert_allclose(world.P.sum(-1), 1.0)
    s = world.state_of[(2, 0)]
    up = world.P[s, 0]
    assert up[world.state_of[(1, 0)]] == pytest.approx(0.8)
    assert up[world.state_of[(2, 1)]] == pytest.approx(0.1)
    assert up[s] == pytest.approx(0.1)  # the left slip hits the border and stays
    assert world.R[s, 0] == pytest.approx(-0.04)
    goal = world.state_of[(0, 3)]
    assert world.terminal[goal] and np.all(world.P[goal, :, goal] == 1) and np.all(world.R[goal] == 0)
    assert world.R[world.state_of[(0, 2)], 1] == pytest.approx(-0.04 + 0.8 * 1.0)


def test_value_and_policy_iteration_reproduce_aima_utilities():
    world = rl.GridWorld(AIMA_LAYOUT, step_reward=-0.04, slip=0.2)
    V, policy = rl.value_iteration(world, gamma=1.0)
    np.testing.assert_allclose(V, AIMA_UTILITIES, atol=5e-4)
    V2, policy2 = rl.policy_iteration(world, gamma=1.0)
    np.testing.assert_allclose(V2, V, atol=1e-8)
    np.testing.assert_array_equal(policy, policy2)
    assert world.render_policy(policy) == ">>>G\n^#^X\n^<<<"


@pytest.mark.parametrize("solve", [rl.value_iteration, rl.policy_iteration])
def test_deterministic_maze_optimal_policy_follows_shortest_paths(solve):
    gamma = 0.9
    world = rl.GridWorld(MAZE, step_reward=-1.0, goal_reward=10.0)
    V, policy = solve(world, gamma=gamma)
    distance = _bfs_distance(world)
    for s in range(world.n_states):
        if world.terminal[s]:
            continue
        d = distance[s]
        # d - 1 steps of -1, then the step into the goal earns -1 + 10.
        expected = -sum(gamma ** k for k in range(int(d))) + 10 * gamma ** (d - 1)
        assert V[s] == pytest.approx(expected)
        next_state = np.argmax(world.P[s, policy[s]])
        assert distance[next_state] == d - 1


def test_policy_evaluation_and_errors():
    world = rl.GridWorld(["S.G"], step_reward=-1.0, goal_reward=0.0)
    right = np.array([1, 1, 1])
    np.testing.assert_allclose(rl.policy_evaluation(world, right, 1.0), [-2.0, -1.0, 0.0])
    left = np.array([3, 3, 3])
    with pytest.raises(ValueError, match="gamma < 1"):
        rl.policy_evaluation(world, left, 1.0)
    np.testing.assert_allclose(rl.policy_evaluation(world, left, 0.5), [-2.0, -2.0, 0.0])
    with pytest.raises(ValueError, match="gamma"):
        rl.value_iteration(world, gamma=1.5)
    with pytest.raises(ValueError, match="one start"):
        rl.GridWorld(["..G"])
    with pytest.raises(ValueError, match="unknown"):
        rl.GridWorld(["S?G"])
    with pytest.raises(ValueError, match="slip"):
        rl.GridWorld(["SG"], slip=2)
    with pytest.raises(ValueError, match="equal length"):
        rl.GridWorld(["SG", "."])


def test_sampling_follows_the_model():
    world = rl.GridWorld(AIMA_LAYOUT, step_reward=-0.04, slip=0.2)
    world.reset(seed=0)
    counts = np.zeros(world.n_states)
    for _ in range(4000):
        world.reset()
        s, r, done = world.step(0)
        counts[s] += 1
        assert not done and r == pytest.approx(-0.04)
    np.testing.assert_allclose(counts / 4000, world.P[world.start, 0], atol=0.02)
    with pytest.raises(ValueError, match="action"):
        world.step(4)


def _greedy_path(world, policy, limit=100):
    s, path = world.start, [world.start]
    while not world.terminal[s] and len(path) < limit:
        s = int(np.argmax(world.P[s, policy[s]]))
        path.append(s)
    return path


def _reachable(world):
    """Non-terminal states an episode can visit: the only ones a learner can learn about."""
    seen, stack = {world.start}, [world.start]
    while stack:
        s = stack.pop()
        for t in np.flatnonzero(world.P[s].sum(0)):
            if int(t) not in seen and not world.terminal[t]:
                seen.add(int(t))
                stack.append(int(t))
    return sorted(seen)


def test_q_learning_learns_the_optimal_policy_on_a_small_grid():
    world = rl.GridWorld(MAZE, step_reward=-1.0, goal_reward=10.0)
    gamma = 0.9
    V, _ = rl.value_iteration(world, gamma=gamma)
    Q_star = rl.q_values(world, V, gamma)
    result = rl.q_learning(world, 400, alpha=0.5, gamma=gamma,
                           epsilon=rl.linear_epsilon(1.0, 0.05, 300), seed=0)
    reachable = _reachable(world)
    assert 0 < len(reachable) < world.n_states - 1  # the maze has a part cut off from the start
    for s in reachable:
        assert Q_star[s, result.policy[s]] == pytest.approx(Q_star[s].max())
    np.testing.assert_allclose(result.Q[reachable].max(1), V[reachable], atol=0.05)
    again = rl.q_learning(world, 400, alpha=0.5, gamma=gamma,
                          epsilon=rl.linear_epsilon(1.0, 0.05, 300), seed=0)
    np.testing.assert_array_equal(result.Q, again.Q)


CLIFF = ["............",
         "............",
         "............",
         "SXXXXXXXXXXG"]


def test_cliff_walking_q_learning_takes_the_edge_sarsa_the_safe_path():
    """Sutton & Barto's example 6.6: with epsilon = 0.1 exploration, Q-learning learns (and
    walks) the shortest path along the cliff edge, SARSA a path away from it."""
    world = rl.GridWorld(CLIFF, step_reward=-1.0, goal_reward=0.0, pit_reward=-100.0)
    q = rl.q_learning(world, 500, alpha=0.5, gamma=1.0, epsilon=0.1, seed=0)
    s = rl.sarsa(world, 500, alpha=0.5, gamma=1.0, epsilon=0.1, seed=0)
    q_path = _greedy_path(world, q.policy)
    assert q_path[-1] == world.state_of[(3, 11)]
    assert len(q_path) - 1 == 13  # the shortest path
    edge_row = [world.state_of[(2, j)] for j in range(1, 11)]
    assert all(cell in q_path for cell in edge_row)
    q_on_edge = q.visits[edge_row].sum() / q.visits.sum()
    s_on_edge = s.visits[edge_row].sum() / s.visits.sum()
    assert s_on_edge < 0.2 < 0.4 < q_on_edge
    assert q.returns.shape == (500,) and q.lengths.min() >= 1


def test_td_argument_checks_and_schedules():
    world = rl.GridWorld(["S.G"])
    with pytest.raises(ValueError, match="episodes"):
        rl.q_learning(world, 0)
    with pytest.raises(ValueError, match="epsilon"):
        rl.sarsa(world, 5, epsilon=1.5)
    schedule = rl.linear_epsilon(1.0, 0.1, 10)
    assert schedule(0) == 1.0 and schedule(5) == pytest.approx(0.55) and schedule(50) == 0.1
    assert rl.exponential_epsilon(1.0, 0.05, 0.5)(3) == 0.125
    assert rl.exponential_epsilon(1.0, 0.05, 0.5)(10) == 0.05
    rng = np.random.default_rng(0)
    picks = [rl.epsilon_greedy(np.array([0.0, 1.0, 1.0]), 0.0, rng) for _ in range(200)]
    assert set(picks) == {1, 2}
