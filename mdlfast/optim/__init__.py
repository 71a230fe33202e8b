"""mdlfast.optim: first-order optimizers on the fused multi-tensor kernels (SGD, RMSprop, Adagrad,
Adam, AdamW), closure-based LBFGS, BFGS and Newton, and learning-rate schedulers."""
from mdlfast.optim import lr_scheduler
from mdlfast.optim.adagrad import Adagrad
from mdlfast.optim.adam import Adam, AdamW
from mdlfast.optim.bfgs import BFGS
from mdlfast.optim.lbfgs import LBFGS
from mdlfast.optim.newton import Newton
from mdlfast.optim.optimizer import Optimizer
from mdlfast.optim.rmsprop import RMSprop
from mdlfast.optim.sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "BFGS", "LBFGS", "Newton", "Optimizer", "RMSprop", "SGD",
           "lr_scheduler"]
