"""`Tensor`: the one array type. It wraps one backend array and carries autograd state.

The standard's array object is implemented here; its operators come from one fixed
operator -> function table (`OPERATORS`), installed once the op modules are loaded, so
adding an op never touches this file. PyTorch-style methods live in `_torch_methods.py`.
"""

from __future__ import annotations

import operator

from . import _dispatch as D
from . import _dtypes
from ._dtypes import DType
from ._torch_methods import TorchTensorMethods

_engine = None  # the autograd engine module, set when it loads (it imports this one)

__all__ = ["Tensor", "Size"]

_SUPPORTED_API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12")


class ScalarConversionError(ValueError, TypeError):
    """int() / float() / complex() of a tensor with several elements: PyTorch's ValueError
    (a TypeError too, as NumPy's)."""


class AmbiguousBoolError(RuntimeError, TypeError):
    """bool() of a tensor with several (or no) elements: PyTorch's RuntimeError (a TypeError
    too, as NumPy's)."""


class Size(tuple):
    """A tensor's shape: a tuple (as the array API requires) that also answers `numel()`."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        # ints, or anything that converts to one (a 0-d integer tensor: Size(x.shape) of a
        # tensor's values); a float is refused, as PyTorch refuses it. Unknown sizes (a lazy
        # backend's None or NaN) pass. The shapes arraygrad makes skip this (_size).
        try:
            return tuple.__new__(cls, [s if s is None or s != s else operator.index(s) for s in sizes])
        except TypeError:
            bad = next(s for s in sizes if not _is_index(s))
            raise TypeError(f"Size() takes an iterable of 'int' (an item is {type(bad).__name__!r})") from None

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"arraygrad.Size({list(self)})"

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return _size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented  # PyTorch's: a tuple only (Size([2]) + [3] is a TypeError)
        return _size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return _size(tuple.__add__(other, self))

    def __mul__(self, n):
        return _size(tuple.__mul__(self, n))

    __rmul__ = __mul__


_new_tuple = tuple.__new__


def _size(sizes) -> Size:
    """A Size of sizes known to be ints (or unknown), without Size()'s checks."""
    return _new_tuple(Size, sizes)


def _is_index(v) -> bool:
    try:
        operator.index(v)
        return True
    except TypeError:
        return False


class _ElementCount(int):
    """`x.size`: the element count as the array API defines it (``x.size == 15``), and
    callable as PyTorch's method (``x.size()`` -> Size, ``x.size(0)`` -> an int)."""

    def __call__(self, dim: int | None = None):
        shape = self._shape
        if dim is None:
            return _size(shape)
        try:
            return shape[operator.index(dim)]
        except IndexError:
            raise IndexError(f"size(): dimension {dim} is out of range for a tensor with "
                             f"{len(shape)} dimension(s)") from None


class Tensor(D.TensorBase, TorchTensorMethods):
    """An n-dimensional array on one device, with optional autograd history.

    Build tensors with the creation functions (`arraygrad.asarray`, `zeros`, `tensor`, ...).
    `Tensor(*sizes)` and `Tensor(data)` are PyTorch's legacy constructors (float32).
    """

    __slots__ = ()  # the state is TensorBase's

    __array_priority__ = 1000  # NumPy binary operators defer to our reflected ones

    def __new__(cls, *args, device=None, dtype=None, requires_grad=False):
        from ._torch_api import legacy_tensor_constructor

        return legacy_tensor_constructor(cls, args, device=device, dtype=dtype,
                                         requires_grad=requires_grad)

    def __init__(self, *args, **kwargs):
        pass

    # ----- the standard's attributes --------------------------------------------------
    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def device(self):
        return self._backend.device

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def shape(self) -> Size:
        return _new_tuple(Size, self._data.shape)  # _size, inlined: the most read property

    @property
    def size(self) -> _ElementCount:
        shape = self._data.shape
        n = 1
        for s in shape:
            if s is None:
                return None
            n *= s
        out = _ElementCount(n)
        out._shape = shape
        return out

    @property
    def T(self) -> "Tensor":
        if self._data.ndim != 2:
            raise ValueError(f"x.T requires a 2-D array, got {self._data.ndim}-D; use x.mT or "
                             "permute_dims for other ranks")
        from ._ops.manipulation import permute_dims

        return permute_dims(self, (1, 0))

    @property
    def mT(self) -> "Tensor":
        from ._ops.linear_algebra import matrix_transpose

        return matrix_transpose(self)

    def __array_namespace__(self, /, *, api_version: str | None = None):
        if api_version is not None and api_version not in _SUPPORTED_API_VERSIONS:
            raise ValueError(f"unsupported api_version {api_version!r}; arraygrad implements "
                             f"{', '.join(_SUPPORTED_API_VERSIONS)}")
        import arraygrad

        return arraygrad

    def to_device(self, device, /, *, stream=None) -> "Tensor":
        """This tensor on `device` (a copy through DLPack when the backend changes)."""
        from ._dlpack import to_device

        return to_device(self, device, stream=stream)

    def astype(self, dtype, /, *, copy=True, device=None) -> "Tensor":
        """`astype(self, dtype)` as a method (NumPy's spelling)."""
        from ._ops.data_type import astype

        return astype(self, dtype, copy=copy, device=device)

    # ----- conversions to Python scalars ------------------------------------------------
    def _scalar(self, kind: str):
        """The one element as a 0-d backend array."""
        data = self._data
        if data.ndim != 0:
            if data.size != 1:
                if kind == "bool":  # PyTorch's RuntimeError (and a TypeError, as before)
                    what = "no values" if data.size == 0 else "more than one value"
                    raise AmbiguousBoolError(f"Boolean value of Tensor with {what} is ambiguous "
                                             f"(shape {tuple(data.shape)})")
                raise ScalarConversionError(f"only one element tensors can be converted to Python "
                                            f"scalars (got shape {tuple(data.shape)})")
            data = self._backend.xp.reshape(data, ())  # the standard's arrays have no .reshape
        return data

    def __bool__(self):
        return bool(self._scalar("bool"))

    def __int__(self):
        d = self._scalar("int")
        if self._dtype.kind == "c":
            raise TypeError("can't convert a complex tensor to int")
        return int(d)

    def __float__(self):
        d = self._scalar("float")
        if self._dtype.kind == "c":
            raise TypeError("can't convert a complex tensor to float; use real() or abs() first")
        return float(d)

    def __complex__(self):
        return complex(self._scalar("complex"))

    def __index__(self):
        if self._dtype.kind not in "iub":  # a bool is 0 or 1, as Python's (and PyTorch's)
            raise TypeError(f"only integer tensors can be used as an index, got dtype {self._dtype}")
        return int(self._scalar("int"))  # CuPy's 0-d arrays have no __index__

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:  # raised here, not at the first next(): np.iterable(t) is False
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __reversed__(self):
        """PyTorch's: the tensor flipped along its first axis (a 0-d tensor as it is)."""
        if self._data.ndim == 0:
            return self
        from ._ops.manipulation import flip
        from ._torch_api import clone

        return clone(flip(self, axis=0))  # a copy, as PyTorch's flips

    __hash__ = object.__hash__  # identity, as PyTorch (the operators make __eq__ elementwise)

    # ----- copying and pickling (PyTorch's semantics) ------------------------------------
    def __reduce_ex__(self, protocol):
        """Pickled as its values on the host, its device, requires_grad and class; history and
        .grad are not kept (as in PyTorch), and it loads as a leaf on the same device."""
        state = getattr(self, "__dict__", None) or None
        return (_rebuild_tensor, (self._backend.to_host(self._data), self.device,
                                  self._requires_grad, type(self), state))

    def __deepcopy__(self, memo):
        """A leaf with a copy of the memory on the same device, requires_grad, a copy of
        .grad and of the attributes a subclass added. Non-leaves raise, as in PyTorch."""
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol; call .detach() first")
        done = memo.get(id(self))
        if done is not None:
            return done
        import copy

        b = self._backend
        new = D.wrap(b.xp.asarray(self._data, copy=True), b)
        new._requires_grad = self._requires_grad
        if type(self) is not Tensor:
            new.__class__ = type(self)  # subclasses (Parameter) add no slots
        memo[id(self)] = new
        # PyTorch copies a tensor's .grad, but not a Parameter's (a copied model starts clean)
        if self._grad is not None and not getattr(type(self), "_deepcopy_drops_grad", False):
            new._grad = copy.deepcopy(self._grad, memo)
        if getattr(self, "__dict__", None):
            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    # ----- interchange -----------------------------------------------------------------
    def __dlpack__(self, /, *, stream=None, max_version=None, dl_device=None, copy=None):
        from ._dlpack import export_dlpack

        return export_dlpack(self, stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __array__(self, dtype=None, copy=None):
        from ._dlpack import to_numpy_array

        return to_numpy_array(self, dtype=dtype, copy=copy)

    # ----- autograd state --------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"requires_grad must be a bool, got {type(value).__name__}")
        if self.grad_fn is not None:  # either way, as PyTorch
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if value and self._dtype.kind not in "fc":
            raise RuntimeError(f"only Tensors of floating point and complex dtype can require "
                               f"gradients (got {self._dtype})")
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        # a no-op on a non-leaf asked to require grad (it does): PyTorch's, unlike the setter
        if not (requires_grad is True and self.grad_fn is not None):
            self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        return D.version_counter(self).value

    @property
    def grad(self):
        """The gradient accumulated by backward (leaves, and non-leaves that retain_grad());
        reading it on another non-leaf warns, as in PyTorch: backward never fills it."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self.retains_grad:
            import warnings

            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        if value is not None:  # PyTorch's checks: a wrong .grad would break the next step
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._backend is not self._backend:
                raise RuntimeError(f"attempting to assign a gradient on {value.device!r} to a "
                                   f"tensor on {self.device!r}. Please ensure that the gradient "
                                   "and the tensor are on the same device (and backend)")
            if value._dtype is not self._dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype {value._dtype} to a "
                                   f"tensor with dtype {self._dtype}. Please ensure that the "
                                   "gradient and the tensor have the same dtype")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value._data.shape)}' to a tensor of size "
                                   f"'{list(self._data.shape)}'. Please ensure that the gradient "
                                   "and the tensor are the same size")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._meta is not None and self._meta.retains_grad

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in `.grad` during backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        import weakref

        if self._meta is None:
            self._meta = D.TensorMeta()
        self._meta.retains_grad = True
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[0 if node.op.nout == 1 else self._meta.out_index] = weakref.ref(self)

    def register_post_accumulate_grad_hook(self, hook):
        """Call `hook(self)` after backward has accumulated this leaf's gradient into
        `.grad` (PyTorch 2.1's; e.g. an optimizer step per parameter). Returns a handle with
        `.remove()`."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        import weakref

        from ._autograd.engine import _HookList

        key = id(self)
        entry = POST_ACCUMULATE_HOOKS.get(key)
        if entry is None or entry[0]() is not self:
            def forget(ref, key=key, hooks=POST_ACCUMULATE_HOOKS):  # the dict itself: at exit
                if hooks.get(key, (None,))[0] is ref:                # module globals are None
                    del hooks[key]

            entry = POST_ACCUMULATE_HOOKS[key] = (weakref.ref(self, forget), _HookList())
        return entry[1].add(hook)

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with `.remove()`."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from ._autograd.engine import tensor_hooks

        return tensor_hooks(self).add(hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into the `.grad` of the leaves (PyTorch semantics)."""
        if gradient is None and inputs is None:  # loss.backward(): straight to the engine
            _engine.execute([self], (None,), retain_graph=create_graph if retain_graph is None else retain_graph,
                               create_graph=create_graph)
            return
        _engine.backward([self], None if gradient is None else [gradient], retain_graph=retain_graph,
                            create_graph=create_graph, inputs=inputs)

    def detach(self) -> "Tensor":
        """A tensor sharing this one's memory (and version counter), outside the graph."""
        return D.wrap_view(self._data, self._backend, self)

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base[1] is not None and self._base[0]._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> "Tensor":
        """This tensor's values as a tensor outside the graph (same memory)."""
        return self.detach()

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        if value._backend is not self._backend:
            raise ValueError(f"data: the new value is on {value.device}, the tensor on {self.device}")
        self._data = value._data
        self._dtype = value._dtype
        D.bump_version(self)

    @property
    def name(self):
        return None if self._meta is None else self._meta.name


# The standard's operators: dunder -> array-API function (reflected and in-place forms
# follow from it). Installed by `_ops` once the functions exist.
BINARY_OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "pow",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "bitwise_left_shift", "rshift": "bitwise_right_shift",
}
COMPARISON_OPERATORS = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                        "gt": "greater", "ge": "greater_equal"}
UNARY_OPERATORS = {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "bitwise_invert"}

# Tensor.register_post_accumulate_grad_hook's registry, read by the engine's accumulate_grad:
# id(leaf) -> (weak reference to the leaf, its hooks); empty (one falsy check) when unused
POST_ACCUMULATE_HOOKS: dict = {}


def run_post_accumulate_hooks(leaf) -> None:
    entry = POST_ACCUMULATE_HOOKS.get(id(leaf))
    if entry is not None and entry[0]() is leaf:
        for hook in list(entry[1]):
            if hook(leaf) is not None:  # PyTorch's check: what it returns would be lost
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")


D.Tensor = Tensor
_dtypes.Tensor = Tensor
Tensor.__module__ = "arraygrad"  # type(t) prints <class 'arraygrad.Tensor'>, as torch's


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead.")


def _rebuild_tensor(host, device, requires_grad, cls, state):
    """Unpickle a Tensor (see Tensor.__reduce_ex__)."""
    from ._registry import get_backend

    b = get_backend(device)
    t = D.wrap(b.from_host(host), b)
    t._requires_grad = bool(requires_grad)
    if cls is not Tensor:
        t.__class__ = cls
    if state:
        t.__dict__.update(state)
    return t


_PY_SCALARS = _dtypes._PYTHON_TYPES  # its keys: bool, int, float, complex


def _operand(self, other):
    """`other` as the operators pass it on (the fast paths took Tensors and Python scalars):
    a Tensor subclass as it is, a Python scalar subclass (IntEnum, ...) as its plain value,
    another library's scalar or array converted (NumPy's float64 subclasses float, but is
    NumPy's); anything else NotImplemented."""
    if isinstance(other, Tensor):
        return other
    if not hasattr(other, "dtype"):
        for plain in (int, float, complex):  # bool cannot be subclassed
            if isinstance(other, plain):
                return plain(other)
    return _foreign_operand(self, other)


def _foreign_operand(self, other):
    """Another library's scalar or array next to a Tensor: NumPy scalars become Python
    scalars, arrays are converted on the tensor's device; anything else is NotImplemented."""
    if isinstance(other, (str, bytes)) or not (hasattr(other, "__array__") or hasattr(other, "__dlpack__")):
        return NotImplemented
    scalar = _dtypes.plain_scalar(other)
    if scalar is not other:
        return scalar
    from ._ops.creation import asarray

    return asarray(other, device=self.device)


def install_operators() -> None:
    """Define the standard's operators on Tensor from the operator -> function table."""
    from ._dispatch import binary, unary
    from ._inplace import commit, inplace_binary, setitem
    from ._ops import elementwise, indexing, linear_algebra

    def binary_method(op):
        def method(self, other):
            c = other.__class__
            if c is Tensor or c in _PY_SCALARS:
                return binary(op, self, other)
            other = _operand(self, other)
            return other if other is NotImplemented else binary(op, self, other)
        return method

    def reflected_method(op):
        def method(self, other):
            if other.__class__ not in _PY_SCALARS:
                other = _operand(self, other)
                if other is NotImplemented:
                    return NotImplemented
            return binary(op, other, self)
        return method

    def inplace_method(op):
        def method(self, other):
            c = other.__class__
            if c is not Tensor and c not in _PY_SCALARS:
                other = _operand(self, other)
                if other is NotImplemented:
                    return NotImplemented
            return inplace_binary(op, self, other)
        return method

    def unary_method(op):
        def method(self):
            return unary(op, self)
        return method

    def name(method, dunder):
        method.__name__ = method.__qualname__ = dunder
        setattr(Tensor, dunder, method)

    for short, fname in BINARY_OPERATORS.items():
        op = getattr(elementwise, fname).op
        name(binary_method(op), f"__{short}__")
        name(reflected_method(op), f"__r{short}__")
        name(inplace_method(op), f"__i{short}__")
    for short, fname in COMPARISON_OPERATORS.items():
        name(binary_method(getattr(elementwise, fname).op), f"__{short}__")
    for short, fname in UNARY_OPERATORS.items():
        name(unary_method(getattr(elementwise, fname).op), f"__{short}__")

    matmul = linear_algebra.matmul
    matmul_op = linear_algebra._MATMUL

    def __matmul__(self, other):
        if other.__class__ is Tensor and self._dtype is other._dtype and self._dtype.kind != "b":
            try:
                return binary(matmul_op, self, other)
            except ValueError:
                pass  # a shape mismatch: matmul() explains it
        if not isinstance(other, Tensor):
            other = _foreign_operand(self, other)
            if other is NotImplemented or not isinstance(other, Tensor):
                return NotImplemented
        return matmul(self, other)

    def __rmatmul__(self, other):
        other = _foreign_operand(self, other)
        if other is NotImplemented or not isinstance(other, Tensor):
            return NotImplemented
        return matmul(other, self)

    def __imatmul__(self, other):
        from ._inplace import check_graph, check_writable, needs_tracking

        check_writable(self, "matmul")
        if needs_tracking(self, (other,)):
            check_graph(self)
        return commit(self, __matmul__(self, other), "matmul")

    for f in (__matmul__, __rmatmul__, __imatmul__):
        name(f, f.__name__)
    name(lambda self, key: indexing.getitem(self, key), "__getitem__")
    name(lambda self, key, value: setitem(self, key, value), "__setitem__")
