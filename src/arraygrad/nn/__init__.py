"""`arraygrad.nn`: layers, losses, initializers and gradient clipping (PyTorch's `torch.nn`)."""

from . import functional, init, utils
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .layers import (ELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Dropout2d, Embedding, Flatten, GELU,
                     Hardtanh, Identity, LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax, MaxPool2d, ReLU, ReLU6,
                     Sigmoid, SiLU, Softmax, Softplus, Tanh, Unflatten)
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module
from .parameter import Parameter
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
    "ParameterList", "ParameterDict",
    "Identity", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "ReLU", "Tanh", "Sigmoid",
    "Softmax", "LogSoftmax", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "LeakyReLU", "ELU",
    "SiLU", "Softplus", "LogSigmoid", "Hardtanh", "ReLU6", "Embedding", "LayerNorm", "AdaptiveAvgPool2d", "Dropout2d", "Unflatten", "GELU", "RNN", "LSTM", "GRU",
    "RNNCell", "LSTMCell", "GRUCell",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
    "BCEWithLogitsLoss",
]
