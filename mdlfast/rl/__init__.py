"""Reinforcement learning, tabular part (NumPy only): a grid-world MDP, value and policy
iteration, Q-learning and SARSA.

    GridWorld, ACTIONS
    value_iteration, policy_iteration, policy_evaluation, q_values
    q_learning, sarsa, epsilon_greedy, TDResult, linear_epsilon, exponential_epsilon
"""
from mdlfast.rl.gridworld import ACTIONS, GridWorld
from mdlfast.rl.planning import policy_evaluation, policy_iteration, q_values, value_iteration
from mdlfast.rl.schedules import exponential_epsilon, linear_epsilon
from mdlfast.rl.td import TDResult, epsilon_greedy, q_learning, sarsa

__all__ = [
    "ACTIONS", "GridWorld", "TDResult", "epsilon_greedy", "exponential_epsilon",
    "linear_epsilon", "policy_evaluation", "policy_iteration", "q_learning", "q_values",
    "sarsa", "value_iteration",
]
