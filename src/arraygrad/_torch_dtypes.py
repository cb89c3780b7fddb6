"""PyTorch's dtype names (`float`, `long`, `double`, ...) for the namespace.

A module of its own because the names shadow Python's builtins (`float`, `int`, `bool`):
nothing else is defined here, so no code can trip over them.
"""

from ._dtypes import DType as dtype
from ._dtypes import (bool, complex64, complex128, float16, float32, float64, int8, int16, int32,
                      int64, uint8, uint16, uint32, uint64)
from ._torch_methods import BFLOAT16_UNSUPPORTED


class UnsupportedDType:
    """A PyTorch dtype arraygrad does not have (bfloat16): naming it works, using it raises
    TypeError saying why."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"arraygrad.{self.name} (unsupported: {BFLOAT16_UNSUPPORTED})"


float = float32
double = float64
half = float16
bfloat16 = UnsupportedDType("bfloat16")
long = int64
int = int32
short = int16
cfloat = complex64
cdouble = complex128

__all__ = ["dtype", "float", "double", "half", "float16", "bfloat16", "long", "int", "short",
           "cfloat", "cdouble", "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
           "int32", "int64", "float32", "float64", "complex64", "complex128"]
