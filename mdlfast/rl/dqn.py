"""Deep Q-learning (DQN) with a replay buffer, a target network, an epsilon schedule over
environment steps and the Double-DQN target, for gymnasium environments with a vector
observation and discrete actions (CartPole-v1 is the course's example).

gymnasium is an optional extra (`pip install mdlfast[rl]`); it is imported only by `make_env`.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import List

import numpy as np

from mdlfast import get_num_threads, nn, optim, set_num_threads
from mdlfast.autograd import no_grad, tensor
from mdlfast.random import manual_seed


class ReplayBuffer:
    """A ring buffer of transitions (s, a, r, s', terminated) in preallocated arrays;
    `sample(n)` draws n stored transitions uniformly with replacement."""

    def __init__(self, capacity, observation_size, seed=None):
        if int(capacity) < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity!r}")
        capacity = int(capacity)
        self.capacity = capacity
        self.states = np.zeros((capacity, observation_size), np.float32)
        self.next_states = np.zeros((capacity, observation_size), np.float32)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, np.float32)
        self.size = 0
        self._next = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.size

    def add(self, state, action, reward, next_state, terminated):
        """Store one transition, overwriting the oldest once full."""
        i = self._next
        self.states[i] = state
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_states[i] = next_state
        self.terminated[i] = float(terminated)
        self._next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        """(states, actions, rewards, next_states, terminated) of batch_size random transitions."""
        if self.size == 0:
            raise ValueError("sample: the replay buffer is empty")
        idx = self.rng.integers(0, self.size, size=int(batch_size))
        return (self.states[idx], self.actions[idx], self.rewards[idx], self.next_states[idx],
                self.terminated[idx])


def q_targets(rewards, terminated, next_q_target, gamma, next_q_online=None):
    """Bootstrapped targets r + gamma (1 - terminated) Q_target(s', a*).

    DQN takes a* = argmax_a Q_target(s', a); Double DQN (when `next_q_online` is given) takes
    a* = argmax_a Q_online(s', a), so the network that picks the action is not the one that
    rates it, which curbs the max operator's overestimation. A truncated episode (time limit)
    is not terminated: its last state still bootstraps.
    """
    next_q_target = np.asarray(next_q_target)
    chooser = next_q_target if next_q_online is None else np.asarray(next_q_online)
    best = chooser.argmax(axis=1)
    value = next_q_target[np.arange(len(best)), best]
    return (np.asarray(rewards) + gamma * (1.0 - np.asarray(terminated)) * value).astype(
        np.float32)


def q_network(observation_size, n_actions, hidden=(128, 128)):
    """An MLP from observations to one Q-value per action (ReLU hidden layers)."""
    layers, width = [], observation_size
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_actions))
    return nn.Sequential(*layers)


def huber(delta):
    """Mean Huber loss of the TD errors `delta` (a Tensor): quadratic within 1, linear beyond,
    as 0.5 c^2 + |d| - c with c = min(|d|, 1)."""
    size = delta.abs()
    inner = size.clip(0.0, 1.0)
    return (inner * inner * 0.5 + size - inner).mean()


def linear_schedule(start, end, steps):
    """step -> value falling linearly from start to end over `steps`, then end."""
    steps = max(int(steps), 1)
    return lambda t: end + (start - end) * max(0.0, 1.0 - t / steps)


@dataclass
class DQNConfig:
    """Hyper-parameters of `train_dqn` (defaults solve CartPole-v1)."""
    total_steps: int = 60_000
    hidden: tuple = (128, 128)
    lr: float = 1e-3
    gamma: float = 0.99
    batch_size: int = 64
    buffer_size: int = 50_000
    learning_starts: int = 1_000
    train_every: int = 1
    gradient_steps: int = 1  # updates per training round (every train_every steps)
    target_every: int = 500
    epsilon_start: float = 1.0
    epsilon_end: float = 0.02
    epsilon_steps: int = 15_000
    double: bool = True
    max_grad_norm: float = 0.0  # > 0: clip the gradient norm (Huber already bounds it)
    eval_every: int = 5_000
    eval_episodes: int = 10
    threads: int = 1  # kernel threads: batches of 64 rows are too small to share out


@dataclass
class DQNResult:
    """The trained (best-evaluated) Q-network, its target network as training left it, the
    return of every training episode, and the (step, mean greedy return) of each periodic
    evaluation."""
    network: nn.Module
    target: nn.Module
    episode_returns: List[float]
    evaluations: List[tuple] = field(default_factory=list)
    steps: int = 0
    updates: int = 0


def make_env(env_id="CartPole-v1"):
    """gymnasium.make(env_id); ImportError with the install hint when gymnasium is missing."""
    try:
        import gymnasium
    except ImportError as error:
        raise ImportError("DQN needs gymnasium: pip install 'mdlfast[rl]'") from error
    return gymnasium.make(env_id)


def greedy_action(network, state):
    """argmax_a Q(state, a) for one observation."""
    with no_grad():
        q = network(tensor(np.asarray(state, np.float32)[None])).data
    return int(q[0].argmax())


def evaluate_policy(network, env, episodes, seed):
    """Returns of `episodes` greedy episodes (seeds seed, seed + 1, ...)."""
    network.eval()
    returns = []
    for k in range(int(episodes)):
        state, _ = env.reset(seed=int(seed) + k)
        total, done = 0.0, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(greedy_action(network, state))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    network.train()
    return returns


@contextmanager
def kernel_threads(n):
    """Run the block with n kernel threads, then restore the previous count."""
    previous = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(previous)


def train_dqn(env, config=None, *, seed=0, eval_env=None, progress=False):
    """Train a DQN (Double DQN when config.double) on `env` for config.total_steps steps.

    Every config.eval_every steps the greedy policy is evaluated on `eval_env` (a second
    environment, so training episodes are not interrupted) and the best-scoring network is
    kept: DQN's greedy policy oscillates late in training, and a checkpoint chosen on
    evaluation episodes is the usual answer. Returns a DQNResult.
    """
    config = config or DQNConfig()
    with kernel_threads(config.threads):
        return _train(env, config, seed, eval_env, progress)


def _update(online, target, opt, buffer, config, batch_rows):
    """One gradient step on the Huber TD error of a replayed batch."""
    s, a, r, s2, term = buffer.sample(config.batch_size)
    with no_grad():
        s2_t = tensor(s2)
        next_target = target(s2_t).data
        next_online = online(s2_t).data if config.double else None
    y = q_targets(r, term, next_target, config.gamma, next_online)
    q = online(tensor(s))[batch_rows, a]
    loss = huber(q - tensor(y))
    opt.zero_grad()
    loss.backward()
    if config.max_grad_norm:
        nn.utils.clip_grad_norm_(online.parameters(), config.max_grad_norm)
    opt.step()


def _train(env, config, seed, eval_env, progress):
    rng = np.random.default_rng(seed)
    manual_seed(seed)
    obs_size = int(np.prod(env.observation_space.shape))
    n_actions = int(env.action_space.n)
    online = q_network(obs_size, n_actions, config.hidden)
    target = copy.deepcopy(online)
    opt = optim.Adam(online.parameters(), lr=config.lr)
    buffer = ReplayBuffer(config.buffer_size, obs_size, seed=seed)
    epsilon = linear_schedule(config.epsilon_start, config.epsilon_end, config.epsilon_steps)
    batch_rows = np.arange(config.batch_size)
    result = DQNResult(online, target, [])
    best_score, best_state = -np.inf, None

    state, _ = env.reset(seed=int(seed))
    episode_return = 0.0
    for step in range(1, int(config.total_steps) + 1):
        if rng.random() < epsilon(step):
            action = int(rng.integers(n_actions))
        else:
            action = greedy_action(online, state)
        next_state, reward, terminated, truncated, _ = env.step(action)
        buffer.add(state, action, reward, next_state, terminated)
        episode_return += float(reward)
        state = next_state
        if terminated or truncated:
            result.episode_returns.append(episode_return)
            episode_return = 0.0
            state, _ = env.reset()

        if step >= config.learning_starts and step % config.train_every == 0:
            for _ in range(config.gradient_steps):
                _update(online, target, opt, buffer, config, batch_rows)
                result.updates += 1
        if step % config.target_every == 0:
            target.load_state_dict(online.state_dict())
        if eval_env is not None and step % config.eval_every == 0:
            score = float(np.mean(evaluate_policy(online, eval_env, config.eval_episodes,
                                                  seed=10_000 + step)))
            result.evaluations.append((step, score))
            if progress:
                recent = result.episode_returns[-20:]
                print(f"  step {step:>7}  eps {epsilon(step):.3f}  train return "
                      f"{np.mean(recent) if recent else 0:.1f}  greedy eval {score:.1f}",
                      flush=True)
            if score >= best_score:
                best_score, best_state = score, copy.deepcopy(online.state_dict())
    if best_state is not None:
        online.load_state_dict(best_state)
    result.steps = int(config.total_steps)
    return result
