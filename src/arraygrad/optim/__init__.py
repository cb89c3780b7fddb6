"""`arraygrad.optim`: optimizers and learning-rate schedulers (PyTorch's `torch.optim`)."""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adam import Adam, AdamW
from .adamax import Adamax, NAdam, RAdam
from .asgd import ASGD
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import Adagrad, RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "RAdam", "Rprop", "ASGD", "LBFGS", "lr_scheduler", "swa_utils"]
