"""arraygrad: an array API 2025.12 namespace with PyTorch-style autograd, over pluggable
backends (NumPy on "cpu" by default, CuPy on "cuda", any array-API library as a plugin).

    import arraygrad as xp                      # the standard's namespace
    x = xp.asarray([1.0, 2.0, 3.0], requires_grad=True)
    (x ** 2).sum().backward(); x.grad           # tensor([2., 4., 6.])
"""

__array_api_version__ = "2025.12"
__version__ = "0.1.0"

from ._compiled import choose_build as _choose_build

_choose_build()  # before the first import of a module that may be compiled

from ._dtypes import (  # noqa: F401  (the standard's dtype objects)
    DType, bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    float32, float64, complex64, complex128,
)
from ._device import Device, device  # noqa: F401
from ._backend import Backend, BackendUnavailableError  # noqa: F401
from ._registry import backends, register_backend, set_default_backend, get_backend  # noqa: F401
from ._config import get_default_dtype, set_default_device, set_default_dtype  # noqa: F401
from ._tensor import Size, Tensor, install_operators as _install_operators

from ._ops.creation import *  # noqa: F401,F403
from ._ops.data_type import *  # noqa: F401,F403
from ._ops.elementwise import *  # noqa: F401,F403
from ._ops.indexing import *  # noqa: F401,F403
from ._ops.linear_algebra import *  # noqa: F401,F403
from ._ops.manipulation import *  # noqa: F401,F403
from ._ops.searching import *  # noqa: F401,F403
from ._ops.sets import *  # noqa: F401,F403
from ._ops.sorting import *  # noqa: F401,F403
from ._ops.statistical import *  # noqa: F401,F403
from ._ops.utility import *  # noqa: F401,F403
from ._info import __array_namespace_info__  # noqa: F401

from . import linalg, fft  # noqa: E402,F401  (the standard's extensions)

_install_operators()

import math as _math

e = _math.e
inf = _math.inf
nan = _math.nan
pi = _math.pi
newaxis = None

# ----- beyond the standard: PyTorch's API ---------------------------------------------------
from ._autograd.grad_mode import (  # noqa: E402,F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled)
from ._torch_api import *  # noqa: E402,F401,F403
from ._torch_dtypes import *  # noqa: E402,F401,F403  (float, long, ...: they shadow builtins)
from ._serialization import load, save  # noqa: E402,F401
from . import autograd, cuda, distributions, func, nn, optim, utils  # noqa: E402,F401
from . import accelerator, amp, random, testing, version  # noqa: E402,F401  (torch.accelerator, torch.amp, ...)
from .amp import GradScaler, autocast, get_autocast_dtype, is_autocast_enabled  # noqa: E402,F401
OutOfMemoryError = MemoryError  # torch.OutOfMemoryError: what the backends raise (see arraygrad.cuda)
from .func import vmap  # noqa: E402,F401  (torch.vmap)
