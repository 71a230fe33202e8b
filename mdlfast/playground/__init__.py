"""The optimiser playground of unit 3 (NumPy only): test functions with derivatives, first-
and second-order methods and line searches, each returning a Trajectory to plot.

    Quadratic, Rosenbrock, Beale, Himmelblau, LeastSquares, make_least_squares
    gradient_descent, sgd, momentum, nesterov, adagrad, rmsprop, adam, noisy_gradient,
    inverse_time_decay, exponential_decay
    steepest_descent, exact_step, backtracking, weak_wolfe, newton, bfgs, lbfgs
    Trajectory, plot_trajectories (needs matplotlib: pip install 'mdlfast[plot]')
"""
from mdlfast.playground.first_order import (adagrad, adam, exponential_decay, gradient_descent,
                                            inverse_time_decay, momentum, nesterov,
                                            noisy_gradient, rmsprop)
from mdlfast.playground.functions import Beale, Himmelblau, Quadratic, Rosenbrock, TestFunction
from mdlfast.playground.least_squares import LeastSquares, make_least_squares, sgd
from mdlfast.playground.line_search import (backtracking, exact_step, steepest_descent,
                                            weak_wolfe)
from mdlfast.playground.plot import plot_trajectories
from mdlfast.playground.second_order import bfgs, lbfgs, newton
from mdlfast.playground.trajectory import Trajectory

__all__ = [
    "Beale", "Himmelblau", "LeastSquares", "Quadratic", "Rosenbrock", "TestFunction",
    "Trajectory", "adagrad", "adam", "backtracking", "bfgs", "exact_step", "exponential_decay",
    "gradient_descent", "inverse_time_decay", "lbfgs", "make_least_squares", "momentum",
    "nesterov", "newton", "noisy_gradient", "plot_trajectories", "rmsprop", "sgd",
    "steepest_descent", "weak_wolfe",
]
