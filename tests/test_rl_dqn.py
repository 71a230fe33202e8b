"""DQN pieces: the replay buffer, the DQN and Double-DQN targets against hand computations, the
Huber loss, the epsilon schedule, target-network syncing, and a short CartPole run (skipped
without gymnasium)."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast.autograd import tensor
from mdlfast.models import registry
from mdlfast.random import manual_seed
from mdlfast.rl.dqn import (DQNConfig, ReplayBuffer, huber, linear_schedule, q_network,
                            q_targets, train_dqn)


def test_replay_buffer_keeps_the_latest_transitions_in_a_ring():
    buffer = ReplayBuffer(3, 2, seed=0)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(1)
    for k in range(5):
        buffer.add([k, -k], k % 2, float(k), [k + 1, 0], k == 4)
    assert len(buffer) == 3
    assert sorted(buffer.rewards.tolist()) == [2.0, 3.0, 4.0]  # 0 and 1 overwritten
    s, a, r, s2, term = buffer.sample(50)
    assert s.shape == (50, 2) and s2.shape == (50, 2) and a.dtype == np.int64
    assert set(r.tolist()) == {2.0, 3.0, 4.0}
    np.testing.assert_array_equal(s[:, 0], r)            # rows stay together
    np.testing.assert_array_equal(s2[:, 0], r + 1)
    np.testing.assert_array_equal(term, (r == 4.0).astype(np.float32))
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, 2)


def test_dqn_and_double_dqn_targets_by_hand():
    rewards = np.array([1.0, 0.5, 2.0])
    terminated = np.array([0.0, 0.0, 1.0])
    target_q = np.array([[1.0, 3.0], [4.0, 2.0], [9.0, 9.0]])
    online_q = np.array([[5.0, 0.0], [1.0, 2.0], [0.0, 1.0]])
    gamma = 0.9
    # DQN: max of the target network.
    np.testing.assert_allclose(q_targets(rewards, terminated, target_q, gamma),
                               [1.0 + 0.9 * 3.0, 0.5 + 0.9 * 4.0, 2.0], rtol=1e-6)
    # Double DQN: the online network picks (action 0, then 1), the target network rates.
    np.testing.assert_allclose(q_targets(rewards, terminated, target_q, gamma, online_q),
                               [1.0 + 0.9 * 1.0, 0.5 + 0.9 * 2.0, 2.0], rtol=1e-6)


def test_huber_loss_by_hand_and_its_gradient():
    d = tensor(np.array([0.5, -2.0, 3.0], np.float32), requires_grad=True)
    loss = huber(d)
    np.testing.assert_allclose(loss.item(), (0.125 + 1.5 + 2.5) / 3, rtol=1e-6)
    loss.backward()
    np.testing.assert_allclose(d.grad.numpy(), np.array([0.5, -1.0, 1.0]) / 3, rtol=1e-6)


def test_linear_epsilon_schedule():
    eps = linear_schedule(1.0, 0.1, 100)
    assert eps(0) == 1.0 and abs(eps(50) - 0.55) < 1e-12 and eps(100) == eps(10_000) == 0.1


class _Chain:
    """A tiny gymnasium-like task without gymnasium: walk right (action 1) five times to finish;
    reward 1 per step."""

    class _Space:
        def __init__(self, shape=None, n=None):
            self.shape, self.n = shape, n

    observation_space = _Space(shape=(2,))
    action_space = _Space(n=2)

    def reset(self, seed=None):
        self.position = 0
        return np.array([0.0, 1.0], np.float32), {}

    def step(self, action):
        self.position = max(0, self.position + (1 if action == 1 else -1))
        done = self.position >= 5
        return np.array([self.position / 5, 1.0], np.float32), 1.0, done, False, {}


def _flat(module):
    return np.concatenate([p.data.ravel() for p in module.parameters()])


@pytest.mark.parametrize("target_every, synced", [(300, True), (1_000, False)])
def test_target_network_is_synced_every_target_every_steps(target_every, synced):
    config = DQNConfig(total_steps=300, learning_starts=50, batch_size=16, target_every=target_every,
                       epsilon_steps=100, hidden=(8,), eval_every=10**9)
    result = train_dqn(_Chain(), config, seed=0)
    assert result.updates == 251
    assert np.array_equal(_flat(result.target), _flat(result.network)) == synced
    if not synced:  # never synced: the target still holds the initial weights
        manual_seed(0)
        assert np.array_equal(_flat(result.target), _flat(q_network(2, 2, (8,))))
    assert result.episode_returns and all(r >= 5 for r in result.episode_returns)


def test_q_network_shapes():
    net = q_network(4, 2, (16, 8))
    assert net(tensor(np.zeros((3, 4), np.float32))).shape == (3, 2)


def test_dqn_quick_run_on_cartpole():
    pytest.importorskip("gymnasium")
    metrics = registry.get("dqn_cartpole").run(quick=True, seed=0).metrics
    assert metrics["steps"] == 1_500 and metrics["updates"] == 1_001
    assert metrics["eval_episodes"] == 3 and metrics["eval_mean_return"] >= 8  # CartPole's floor


def test_dqn_entry_reports_a_missing_gymnasium(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_gymnasium(name, *args, **kwargs):
        if name == "gymnasium":
            raise ImportError("no gymnasium here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gymnasium)
    metrics = registry.get("dqn_cartpole").run(quick=True).metrics
    assert "mdlfast[rl]" in metrics["skipped"]


def test_training_rounds_take_gradient_steps_updates():
    config = DQNConfig(total_steps=300, learning_starts=50, train_every=50, gradient_steps=3,
                       batch_size=8, hidden=(8,), epsilon_steps=100, eval_every=10**9)
    assert train_dqn(_Chain(), config, seed=0).updates == 6 * 3  # rounds at 50, 100, ..., 300
