"""`torch.nn.modules.rnn`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    RNN,
    LSTM,
    GRU,
    RNNCell,
    LSTMCell,
    GRUCell,
)
from ..rnn import (  # noqa: F401
    RNNBase,
    RNNCellBase,
)

__all__ = [
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "RNNBase",
    "RNNCell",
    "RNNCellBase",
]
