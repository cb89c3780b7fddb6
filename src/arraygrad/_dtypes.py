"""arraygrad's data types: singletons, the standard's categories and promotion rules.

A DType never equals a backend's native dtype: backends translate at their edge
(`Backend.native_dtype` / `Backend.dtype_of`), so `Tensor.dtype` is always one of these.
"""

from __future__ import annotations

import math
import sys
from typing import NamedTuple

__all__ = [
    "DType", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128",
    "isdtype", "result_type", "can_cast", "finfo", "iinfo",
]

_builtin_bool = bool
Tensor = None  # arraygrad.Tensor, set by _tensor.py (which imports this module)


class DType:
    """One array data type. Instances are singletons: compare with ``==`` or ``is``."""

    __slots__ = ("name", "kind", "bits", "itemsize", "_torch_name")

    def __init__(self, name: str, kind: str, bits: int, torch_name: str):
        self.name = name
        self.kind = kind  # 'b' bool, 'i' signed, 'u' unsigned, 'f' real floating, 'c' complex
        self.bits = bits
        self.itemsize = bits // 8
        self._torch_name = torch_name

    def __repr__(self) -> str:
        return f"arraygrad.{self.name}"

    def __reduce__(self):  # pickle as the singleton
        return (_by_name, (self.name,))

    # PyTorch's dtype attributes, for code written against torch.dtype.
    @property
    def is_floating_point(self) -> _builtin_bool:
        return self.kind == "f"

    @property
    def is_complex(self) -> _builtin_bool:
        return self.kind == "c"

    @property
    def is_signed(self) -> _builtin_bool:
        return self.kind in "ifc"

    @property
    def __numpy_dtype__(self):
        """NumPy's dtype of the same name: np.dtype(arraygrad.float64) and
        ndarray.astype(arraygrad.float64) work (NumPy >= 2.4 reads this). NumPy's dtype
        then also compares equal to ours (their hashes differ: do not mix the two as keys)."""
        import numpy

        return numpy.dtype(self.name)

    def to_real(self) -> "DType":
        """The real floating dtype of the same precision (complex64 -> float32)."""
        return _COMPLEX_TO_REAL.get(self, self)

    def to_complex(self) -> "DType":
        """The complex dtype of the same precision (float32 -> complex64)."""
        return _REAL_TO_COMPLEX.get(self, self)


bool = DType("bool", "b", 8, "BoolTensor")
int8 = DType("int8", "i", 8, "CharTensor")
int16 = DType("int16", "i", 16, "ShortTensor")
int32 = DType("int32", "i", 32, "IntTensor")
int64 = DType("int64", "i", 64, "LongTensor")
uint8 = DType("uint8", "u", 8, "ByteTensor")
uint16 = DType("uint16", "u", 16, "UInt16Tensor")
uint32 = DType("uint32", "u", 32, "UInt32Tensor")
uint64 = DType("uint64", "u", 64, "UInt64Tensor")
float16 = DType("float16", "f", 16, "HalfTensor")  # an extension: not one of the standard's
float32 = DType("float32", "f", 32, "FloatTensor")
float64 = DType("float64", "f", 64, "DoubleTensor")
complex64 = DType("complex64", "c", 64, "ComplexFloatTensor")
complex128 = DType("complex128", "c", 128, "ComplexDoubleTensor")

# The standard's dtypes (what __array_namespace_info__().dtypes() reports) ...
ALL_DTYPES = (bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
              float32, float64, complex64, complex128)
# ... and the extensions a backend may also hold (PyTorch's half precision).
EXTENSION_DTYPES = (float16,)
KNOWN_DTYPES = ALL_DTYPES + EXTENSION_DTYPES
_BY_NAME = {d.name: d for d in KNOWN_DTYPES}
_COMPLEX_TO_REAL = {complex64: float32, complex128: float64}
_REAL_TO_COMPLEX = {float16: complex64, float32: complex64, float64: complex128}

# The defaults follow PyTorch: float32 and int64 (the standard leaves them to the library).
DEFAULT_FLOAT = float32
DEFAULT_COMPLEX = complex64
DEFAULT_INT = int64
DEFAULT_INDEX = int64


def _by_name(name: str) -> DType:
    return _BY_NAME[name]


# The standard's dtype categories (the names `isdtype` accepts as kinds).
CATEGORIES: dict[str, frozenset] = {
    "bool": frozenset({bool}),
    "signed integer": frozenset({int8, int16, int32, int64}),
    "unsigned integer": frozenset({uint8, uint16, uint32, uint64}),
    "integral": frozenset({int8, int16, int32, int64, uint8, uint16, uint32, uint64}),
    "real floating": frozenset({float16, float32, float64}),
    "complex floating": frozenset({complex64, complex128}),
    "numeric": frozenset(KNOWN_DTYPES) - {bool},
}
# Categories used to validate op inputs (the spec's "input array dtypes" wording).
CATEGORIES["real numeric"] = CATEGORIES["numeric"] - CATEGORIES["complex floating"]
CATEGORIES["floating-point"] = CATEGORIES["real floating"] | CATEGORIES["complex floating"]
CATEGORIES["integer"] = CATEGORIES["integral"]
CATEGORIES["integer or boolean"] = CATEGORIES["integral"] | {bool}
CATEGORIES["boolean"] = CATEGORIES["bool"]
CATEGORIES["any"] = frozenset(KNOWN_DTYPES)
CATEGORIES["real"] = CATEGORIES["any"] - CATEGORIES["complex floating"]  # real numeric or bool


def _build_promotion_table() -> dict[tuple[DType, DType], DType]:
    """The standard's promotion lattice, plus PyTorch's rules where it is silent.

    The standard defines promotion within a kind (bool, signed/unsigned integers,
    real/complex floating, and real with complex). Across kinds it is silent; there
    we follow PyTorch: an integer or bool operand takes the other's floating dtype,
    bool takes the integer's dtype. uint64 with a signed integer has no lossless
    result and raises, as in PyTorch and array-api-strict.
    """
    signed = [int8, int16, int32, int64]
    unsigned = [uint8, uint16, uint32, uint64]
    table: dict[tuple[DType, DType], DType] = {}

    def put(a, b, r):
        table[a, b] = r
        table[b, a] = r

    for group in (signed, unsigned, [float16, float32, float64]):
        for i, a in enumerate(group):
            for b in group[i:]:
                put(a, b, b)
    for u in unsigned:  # mixed signedness: the smallest signed type holding both
        for s in signed:
            if u is uint64:
                continue
            need = max(u.bits * 2, s.bits)
            put(u, s, {8: int8, 16: int16, 32: int32, 64: int64}[need])
    for c in (complex64, complex128):
        for d in (complex64, complex128, float16, float32, float64):
            wide = max(c.bits, d.to_complex().bits)
            put(c, d, complex64 if wide == 64 else complex128)
    put(bool, bool, bool)
    for d in KNOWN_DTYPES:
        if d is not bool:
            put(bool, d, d)
    for i in signed + unsigned:  # integer with floating: the floating dtype (PyTorch)
        for f in (float16, float32, float64, complex64, complex128):
            put(i, f, f)
    return table


PROMOTION_TABLE = _build_promotion_table()


def promote(a: DType, b: DType) -> DType:
    """Result dtype of a binary operation between arrays of dtypes `a` and `b`."""
    try:
        return PROMOTION_TABLE[a, b]
    except KeyError:
        raise TypeError(f"{a} and {b} cannot be type promoted together (no lossless common dtype)") from None


def scalar_dtype(value, partner: DType) -> DType:
    """The dtype a Python scalar takes next to an array of dtype `partner`.

    The standard's rule: a scalar of the same kind takes the array's dtype. Where it is
    silent (a float with an integer array, ...) we follow PyTorch and use the default dtype.
    """
    kind = partner.kind
    t = type(value)
    if t is _builtin_bool:
        return partner
    if t is int:
        return partner if kind != "b" else DEFAULT_INT
    if t is float:
        return partner if kind in "fc" else DEFAULT_FLOAT
    if t is complex:
        return partner if kind == "c" else (partner.to_complex() if kind == "f" else DEFAULT_COMPLEX)
    plain = plain_scalar(value)  # NumPy's scalars count as the Python scalars they hold
    if plain is not value and plain.__class__ in _PYTHON_TYPES:
        return scalar_dtype(plain, partner)
    raise TypeError(f"expected a Python scalar (bool, int, float, complex), got {t.__name__}")


def plain_scalar(value):
    """Another library's scalar or 0-d array (NumPy's float64, say) as the Python scalar it
    holds, so that it counts as one (weakly typed, as in PyTorch); anything else as it is."""
    if value.__class__ in _PYTHON_TYPES or getattr(value, "ndim", None) != 0 \
            or not hasattr(value, "item") or isinstance(value, Tensor):
        return value
    return value.item()


def as_dtype(dtype, argname: str = "dtype") -> DType:
    """Accept an arraygrad DType (or its name); reject anything else with a clear TypeError."""
    if isinstance(dtype, DType):
        return dtype
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype]
    found = _from_foreign(dtype)
    if found is not None:
        return found
    raise TypeError(
        f"{argname} must be an arraygrad dtype (e.g. arraygrad.float32), got {dtype!r}"
    )


_PYTHON_TYPES = {_builtin_bool: bool, int: int64, float: float64, complex: complex128}


def _from_foreign(dtype) -> DType | None:
    """Map a Python type or another library's dtype (NumPy, PyTorch, ...) by its name.

    Duck-typed, so the core imports no array library: ``np.float32``, ``np.dtype('int8')``
    and ``torch.float64`` all carry their standard name.
    """
    if isinstance(dtype, type) and dtype in _PYTHON_TYPES:  # PyTorch accepts dtype=float etc. (float64, like NumPy)
        return _PYTHON_TYPES[dtype]
    name = getattr(dtype, "name", None)
    if not isinstance(name, str):
        name = getattr(dtype, "__name__", None) if isinstance(dtype, type) else None
    if name is None and type(dtype).__module__.startswith("torch"):
        name = str(dtype).removeprefix("torch.")
    if name == "bool_":
        name = "bool"
    return _BY_NAME.get(name) if isinstance(name, str) else None


def isdtype(dtype, kind) -> _builtin_bool:
    """Whether `dtype` is of `kind`: a dtype, a category name, or a tuple of those."""
    dtype = as_dtype(dtype)
    if isinstance(kind, tuple):
        return any(_isdtype_one(dtype, k) for k in kind)
    return _isdtype_one(dtype, kind)


def _isdtype_one(dtype: DType, kind) -> _builtin_bool:
    if isinstance(kind, DType):
        return dtype is kind
    if isinstance(kind, str):
        if kind not in _ISDTYPE_KINDS:
            raise ValueError(f"isdtype: unknown kind {kind!r}; expected one of {sorted(_ISDTYPE_KINDS)}")
        return dtype in CATEGORIES[kind]
    raise TypeError(f"isdtype: kind must be a dtype, a str or a tuple of those, got {type(kind).__name__}")


_ISDTYPE_KINDS = ("bool", "signed integer", "unsigned integer", "integral",
                  "real floating", "complex floating", "numeric")


def result_type(*arrays_and_dtypes):
    """The dtype that results from applying type promotion to the arguments."""
    from ._tensor import Tensor

    dtypes: list[DType] = []
    scalars = []
    for a in arrays_and_dtypes:
        if isinstance(a, Tensor):
            dtypes.append(a._dtype)
        elif type(a) in (_builtin_bool, int, float, complex):
            scalars.append(a)
        else:
            dtypes.append(as_dtype(a, "result_type argument"))
    if not dtypes:
        if not scalars:
            raise ValueError("result_type: at least one array or dtype is required")
        raise ValueError("result_type: at least one array or dtype is required; got only Python scalars")
    out = dtypes[0]
    for d in dtypes[1:]:
        out = promote(out, d)
    for s in scalars:
        out = promote(out, scalar_dtype(s, out))
    return out


def can_cast(from_, to, /) -> _builtin_bool:
    """Whether `from_` can be cast to `to` by the standard's promotion rules."""
    from ._tensor import Tensor

    src = from_._dtype if isinstance(from_, Tensor) else as_dtype(from_, "from_")
    dst = as_dtype(to, "to")
    if src is dst:
        return True
    if src.kind == "b":
        return True
    # Cross-kind casts are lossy in the standard's sense, whatever PyTorch promotes to.
    if src.kind in "iu" and dst.kind in "fc":
        return False
    if src.kind == "c" and dst.kind != "c":
        return False
    if src.kind == "f" and dst.kind not in "fc":
        return False
    return PROMOTION_TABLE.get((src, dst)) is dst


class finfo_object(NamedTuple):
    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: DType

    @property
    def tiny(self) -> float:  # NumPy's and PyTorch's name
        return self.smallest_normal

    @property
    def resolution(self) -> float:
        return 10.0 ** -math.floor(-math.log10(self.eps))

    def __repr__(self) -> str:  # PyTorch's
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype.name})")


class iinfo_object(NamedTuple):
    bits: int
    max: int
    min: int
    dtype: DType

    def __repr__(self) -> str:  # PyTorch's
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype.name})"


_FINFO = {
    float16: finfo_object(16, 2.0 ** -10, 65504.0, -65504.0, 2.0 ** -14, float16),
    float32: finfo_object(32, 2.0 ** -23, (2 - 2.0 ** -23) * 2.0 ** 127, -(2 - 2.0 ** -23) * 2.0 ** 127,
                          2.0 ** -126, float32),
    float64: finfo_object(64, sys.float_info.epsilon, sys.float_info.max, -sys.float_info.max,
                          sys.float_info.min, float64),
}
_FINFO[complex64] = _FINFO[float32]._replace(dtype=float32)
_FINFO[complex128] = _FINFO[float64]._replace(dtype=float64)


def _dtype_of_arg(type, fname):
    from ._tensor import Tensor

    return type._dtype if isinstance(type, Tensor) else as_dtype(type, f"{fname} argument")


def finfo(type, /) -> finfo_object:
    """Machine limits for a floating-point dtype (or array of one)."""
    d = _dtype_of_arg(type, "finfo")
    if d not in _FINFO:
        raise TypeError(f"finfo: expected a floating-point dtype, got {d}")
    return _FINFO[d]


def iinfo(type, /) -> iinfo_object:
    """Machine limits for an integer dtype (or array of one)."""
    d = _dtype_of_arg(type, "iinfo")
    if d.kind == "i":
        return iinfo_object(d.bits, 2 ** (d.bits - 1) - 1, -(2 ** (d.bits - 1)), d)
    if d.kind == "u":
        return iinfo_object(d.bits, 2 ** d.bits - 1, 0, d)
    raise TypeError(f"iinfo: expected an integer dtype, got {d}")
