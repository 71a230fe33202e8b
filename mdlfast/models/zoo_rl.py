"""Zoo entries of unit 9 (reinforcement learning): value iteration on Russell and Norvig's 4x3
grid world, Q-learning and SARSA on Sutton and Barto's cliff walk, and DQN / Double DQN on
CartPole-v1 (gymnasium, the optional extra `mdlfast[rl]`)."""
from __future__ import annotations

import time

import numpy as np

from mdlfast import rl
from mdlfast.models.registry import Run, ZooEntry, register

AIMA_LAYOUT = ["...G", ".#.X", "S..."]
CLIFF = ["............", "............", "............", "SXXXXXXXXXXG"]


def _train_value_iteration(entry, config, *, dataset, seed, progress):
    world = rl.GridWorld(AIMA_LAYOUT, step_reward=-0.04, slip=0.2)
    V, policy = rl.value_iteration(world, gamma=config["gamma"])
    _, pi_policy = rl.policy_iteration(world, gamma=config["gamma"])
    if progress:
        print(world.render_policy(policy))
    return Run({"start_value": float(V[world.start]),
                "agreement_with_policy_iteration": float(np.mean(policy == pi_policy)),
                "states": world.n_states})


def greedy_return(world, policy, max_steps=200):
    """Undiscounted return of following `policy` from the start without slips."""
    s, total = world.start, 0.0
    for _ in range(max_steps):
        if world.terminal[s]:
            break
        s_next = int(np.argmax(world.P[s, policy[s]]))
        total += float(world.R[s, policy[s]])
        s = s_next
    return total


def _train_td(entry, config, *, dataset, seed, progress):
    world = rl.GridWorld(CLIFF, step_reward=-1.0, goal_reward=0.0, pit_reward=-100.0)
    learn = rl.q_learning if entry.name == "q_learning" else rl.sarsa
    result = learn(world, config["epochs"], alpha=config["alpha"], gamma=1.0,
                   epsilon=config["epsilon"], seed=seed)
    edge_row = [world.state_of[(2, j)] for j in range(1, 11)]
    return Run({"greedy_return": greedy_return(world, result.policy),
                "mean_return_last_100": float(result.returns[-100:].mean()),
                "edge_visit_fraction": float(result.visits[edge_row].sum()
                                             / result.visits.sum()),
                "episodes": int(config["epochs"])})


register(ZooEntry(
    name="value_iteration", unit=9,
    summary="value iteration vs policy iteration on the 4x3 grid world (slip 0.2)",
    dataset="gridworld", datasets=("gridworld",), build=None, train=_train_value_iteration,
    quick={"gamma": 0.99}, full={"gamma": 0.99}, headline="start_value"))
for _name, _summary in (("q_learning", "tabular Q-learning on the cliff walk (epsilon 0.1)"),
                        ("sarsa", "tabular SARSA on the cliff walk (epsilon 0.1)")):
    register(ZooEntry(
        name=_name, unit=9, summary=_summary, dataset="cliff", datasets=("cliff",), build=None,
        train=_train_td, quick={"epochs": 200, "alpha": 0.5, "epsilon": 0.1},
        full={"epochs": 500, "alpha": 0.5, "epsilon": 0.1}, headline="greedy_return"))


def _train_dqn(entry, config, *, dataset, seed, progress):
    """Train (Double) DQN, then evaluate the kept network greedily over config["eval_final"]
    episodes with seeds never used in training or checkpoint selection."""
    from mdlfast.rl.dqn import DQNConfig, evaluate_policy, make_env, train_dqn

    try:
        env, eval_env, test_env = make_env(dataset), make_env(dataset), make_env(dataset)
    except ImportError as error:
        return Run({"skipped": str(error)})
    settings = {k: v for k, v in config.items() if k != "eval_final"}
    start = time.perf_counter()
    result = train_dqn(env, DQNConfig(**settings), seed=seed, eval_env=eval_env,
                       progress=progress)
    train_seconds = time.perf_counter() - start
    returns = evaluate_policy(result.network, test_env, config["eval_final"], seed=1_000_000)
    curve = result.episode_returns

    def plot(path):
        from mdlfast.train.plot import pyplot

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(curve, lw=0.8, label="training episode return")
        steps = np.cumsum([0] + [int(r) for r in curve])  # CartPole: return = episode length
        if result.evaluations:
            at, score = zip(*result.evaluations)
            ax.plot(np.searchsorted(steps, at), score, "o-", label="greedy evaluation")
        ax.set_xlabel("episode")
        ax.set_ylabel("return")
        ax.legend()
        fig.savefig(path, bbox_inches="tight")
        plt.close(fig)

    return Run({"eval_mean_return": float(np.mean(returns)),
                "eval_min_return": float(np.min(returns)),
                "eval_episodes": len(returns), "train_episodes": len(curve),
                "steps": result.steps, "updates": result.updates,
                "best_checkpoint_return": max(s for _, s in result.evaluations)
                if result.evaluations else float("nan"),
                "train_seconds": train_seconds}, plot=plot)


_DQN = {"hidden": (128, 128), "lr": 1e-3, "gamma": 0.99, "batch_size": 64,
        "buffer_size": 50_000, "learning_starts": 1_000, "target_every": 500,
        "epsilon_start": 1.0, "epsilon_end": 0.02, "double": True}
register(ZooEntry(
    name="dqn_cartpole", unit=9,
    summary="Double DQN (replay, target network, epsilon schedule) on CartPole-v1",
    dataset="CartPole-v1", datasets=("CartPole-v1",), build=None, train=_train_dqn,
    quick={**_DQN, "total_steps": 1_500, "learning_starts": 500, "epsilon_steps": 1_000,
           "eval_every": 1_500, "eval_episodes": 2, "eval_final": 3},
    full={**_DQN, "total_steps": 60_000, "epsilon_steps": 15_000, "eval_every": 5_000,
          "eval_episodes": 10, "eval_final": 100},
    headline="eval_mean_return"))
