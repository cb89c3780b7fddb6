"""`arraygrad.nn`: layers, losses, initializers and gradient clipping (PyTorch's `torch.nn`)."""

from . import functional, init, utils
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .layers import (ELU, GELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d,
                     ConvTranspose2d, Dropout, Dropout2d, Embedding, Flatten, Hardtanh, Identity, LayerNorm,
                     LeakyReLU, Linear, LogSigmoid, LogSoftmax, MaxPool2d, ReLU, ReLU6, Sigmoid, SiLU, Softmax,
                     Softplus, Tanh, Unflatten, Upsample)
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module
from .parameter import Parameter
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    "functional", "init", "utils", "Module", "Parameter",
    # containers
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    # layers
    "Identity", "Linear", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
    "Flatten", "Unflatten", "Upsample", "Dropout", "Dropout2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    # activations
    "ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "LeakyReLU", "ELU", "SiLU", "GELU", "Softplus",
    "LogSigmoid", "Hardtanh", "ReLU6",
    # losses
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
    "BCEWithLogitsLoss",
]
