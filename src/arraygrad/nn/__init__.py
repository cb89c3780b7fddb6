"""`arraygrad.nn`: layers, losses, initializers and gradient clipping (PyTorch's `torch.nn`)."""

from . import functional, init, parallel, utils
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .containers import Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .layers import (CELU, ELU, GELU, GLU, SELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Bilinear,
                     ConstantPad1d, ConstantPad2d, Conv1d, Conv2d, ConvTranspose2d, CosineSimilarity, Dropout,
                     Dropout2d, Embedding, Flatten, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, Identity,
                     LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax, MaxPool2d, Mish, PairwiseDistance,
                     PixelShuffle, PixelUnshuffle, PReLU, ReflectionPad1d, ReflectionPad2d, ReLU, ReLU6,
                     ReplicationPad1d, ReplicationPad2d, Sigmoid, SiLU, Softmax, Softmin, Softplus, Softshrink,
                     Softsign, Tanh, Tanhshrink, Threshold, Unflatten, Upsample, UpsamplingBilinear2d,
                     UpsamplingNearest2d, ZeroPad2d)
from .layers import (AdaptiveAvgPool1d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AlphaDropout, AvgPool1d, BatchNorm3d,
                     Conv3d, ConvTranspose1d, ConvTranspose3d, Dropout1d, EmbeddingBag, FeatureAlphaDropout, Fold,
                     GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LocalResponseNorm, LPPool1d, LPPool2d,
                     MaxPool1d, MaxUnpool1d, MaxUnpool2d, RMSNorm, Unfold)
from .layers import AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, LPPool3d, MaxPool3d, MaxUnpool3d
from .layers import CrossMapLRN2d, FractionalMaxPool2d, FractionalMaxPool3d, SyncBatchNorm
from .layers import (ChannelShuffle, CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad3d, Dropout3d,
                     ReflectionPad3d, ReplicationPad3d, RReLU, Softmax2d, ZeroPad1d, ZeroPad3d)
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss,
                   MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss,
                   TripletMarginLoss)
from .loss import CTCLoss
from .loss import MultiLabelMarginLoss, NLLLoss2d, SoftMarginLoss, TripletMarginWithDistanceLoss
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d,
                   LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d,
                   LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear, UninitializedBuffer, UninitializedParameter)
from .module import Module
from .parameter import Buffer, Parameter
from .parallel import DataParallel
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .transformer import (MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)

__all__ = [
    "functional", "init", "utils", "Module", "Parameter",
    # attention and transformers
    "MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    # containers
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    # layers
    "Identity", "Linear", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
    "Flatten", "Unflatten", "Upsample", "Dropout", "Dropout2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding",
    "Bilinear", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d",
    "ReplicationPad2d", "CosineSimilarity", "PairwiseDistance", "PixelShuffle", "PixelUnshuffle", "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "MaxPool1d", "AvgPool1d", "MaxUnpool1d", "MaxUnpool2d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "LPPool1d", "LPPool2d", "Unfold", "Fold", "Conv3d", "ConvTranspose1d", "Dropout1d", "AlphaDropout",
    "FeatureAlphaDropout", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "GroupNorm", "LocalResponseNorm",
    "EmbeddingBag", "ConvTranspose3d", "InstanceNorm3d", "RMSNorm",
    "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "LPPool3d", "MaxUnpool3d",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    # lazy layers
    "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
    "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "UninitializedParameter",
    "UninitializedBuffer",
    # activations
    "ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "LeakyReLU", "ELU", "SiLU", "GELU", "Softplus",
    "LogSigmoid", "Hardtanh", "ReLU6", "SELU", "CELU", "Mish", "Softmin", "Softsign", "Hardswish", "Hardsigmoid",
    "GLU", "PReLU", "Threshold", "Tanhshrink", "Softshrink", "Hardshrink",
    # losses
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
    "TripletMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
    "CTCLoss",
    # added for PyTorch parity
    "Buffer", "Softmax2d", "Dropout3d", "ZeroPad1d", "ZeroPad3d", "ConstantPad3d", "CircularPad1d", "CircularPad2d",
    "CircularPad3d", "ReflectionPad3d", "ReplicationPad3d", "RReLU", "ChannelShuffle", "SoftMarginLoss",
    "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss",
    "FractionalMaxPool2d", "FractionalMaxPool3d", "AdaptiveLogSoftmaxWithLoss", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d", "LazyInstanceNorm3d", "SyncBatchNorm", "DataParallel", "Container", "NLLLoss2d",
    "RNNBase", "RNNCellBase", "parallel", "CrossMapLRN2d",
]

from . import modules  # noqa: E402,F401  (torch.nn.modules.batchnorm._BatchNorm, .utils._pair ...)
