"""The array API standard's names, version 2025.12, hard-coded (CI has no spec checkout).

Taken from the `__all__` lists of array_api_stubs/_2025_12/*.py (data-apis/array-api), and
the members of its `array` class. Keys are the stub modules' names.
"""

API_VERSION = "2025.12"

STANDARD = {
    "array_object": (
        'dtype', 'device', 'mT', 'ndim', 'shape', 'size', 'T', '__abs__', '__add__',
        '__and__', '__array_namespace__', '__bool__', '__complex__', '__dlpack__',
        '__dlpack_device__', '__eq__', '__float__', '__floordiv__', '__ge__', '__getitem__',
        '__gt__', '__index__', '__int__', '__invert__', '__le__', '__lshift__', '__lt__',
        '__matmul__', '__mod__', '__mul__', '__ne__', '__neg__', '__or__', '__pos__',
        '__pow__', '__rshift__', '__setitem__', '__sub__', '__truediv__', '__xor__',
        'to_device',
    ),
    "constants": (
        'e', 'inf', 'nan', 'newaxis', 'pi',
    ),
    "creation_functions": (
        'arange', 'asarray', 'empty', 'empty_like', 'eye', 'from_dlpack', 'full',
        'full_like', 'linspace', 'meshgrid', 'ones', 'ones_like', 'tril', 'triu', 'zeros',
        'zeros_like',
    ),
    "data_type_functions": (
        'astype', 'can_cast', 'finfo', 'iinfo', 'isdtype', 'result_type',
    ),
    "data_types": (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
        'float32', 'float64', 'complex64', 'complex128',
    ),
    "elementwise_functions": (
        'abs', 'acos', 'acosh', 'add', 'asin', 'asinh', 'atan', 'atan2', 'atanh',
        'bitwise_and', 'bitwise_left_shift', 'bitwise_invert', 'bitwise_or',
        'bitwise_right_shift', 'bitwise_xor', 'ceil', 'clip', 'conj', 'copysign', 'cos',
        'cosh', 'divide', 'equal', 'exp', 'expm1', 'floor', 'floor_divide', 'greater',
        'greater_equal', 'hypot', 'imag', 'isfinite', 'isinf', 'isnan', 'less',
        'less_equal', 'log', 'log1p', 'log2', 'log10', 'logaddexp', 'logical_and',
        'logical_not', 'logical_or', 'logical_xor', 'maximum', 'minimum', 'multiply',
        'negative', 'nextafter', 'not_equal', 'positive', 'pow', 'real', 'reciprocal',
        'remainder', 'round', 'sign', 'signbit', 'sin', 'sinh', 'square', 'sqrt',
        'subtract', 'tan', 'tanh', 'trunc',
    ),
    "fft": (
        'fft', 'ifft', 'fftn', 'ifftn', 'rfft', 'irfft', 'rfftn', 'irfftn', 'hfft', 'ihfft',
        'fftfreq', 'rfftfreq', 'fftshift', 'ifftshift',
    ),
    "indexing_functions": (
        'take', 'take_along_axis',
    ),
    "info": (
        '__array_namespace_info__', 'capabilities', 'default_device', 'default_dtypes',
        'devices', 'dtypes',
    ),
    "linalg": (
        'cholesky', 'cross', 'det', 'diagonal', 'eigh', 'eigvalsh', 'inv', 'matmul',
        'matrix_norm', 'matrix_power', 'matrix_rank', 'matrix_transpose', 'outer', 'pinv',
        'qr', 'slogdet', 'solve', 'svd', 'svdvals', 'tensordot', 'trace', 'vecdot',
        'vector_norm',
    ),
    "linear_algebra_functions": (
        'matmul', 'matrix_transpose', 'tensordot', 'vecdot',
    ),
    "manipulation_functions": (
        'broadcast_arrays', 'broadcast_shapes', 'broadcast_to', 'concat', 'expand_dims',
        'flip', 'moveaxis', 'permute_dims', 'repeat', 'reshape', 'roll', 'squeeze', 'stack',
        'tile', 'unstack',
    ),
    "searching_functions": (
        'argmax', 'argmin', 'count_nonzero', 'nonzero', 'searchsorted', 'where',
    ),
    "set_functions": (
        'isin', 'unique_all', 'unique_counts', 'unique_inverse', 'unique_values',
    ),
    "sorting_functions": (
        'argsort', 'sort',
    ),
    "statistical_functions": (
        'cumulative_sum', 'cumulative_prod', 'max', 'mean', 'min', 'prod', 'std', 'sum',
        'var',
    ),
    "utility_functions": (
        'all', 'any', 'diff',
    ),
}

# Top-level names: everything except the array's members, the info methods and extensions.
TOP_LEVEL = sorted({n for k, names in STANDARD.items()
                    if k not in ("array_object", "info", "linalg", "fft") for n in names}
                   | {"__array_namespace_info__", "__array_api_version__", "linalg", "fft"})
