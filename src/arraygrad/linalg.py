"""The standard's `linalg` extension."""

from __future__ import annotations

from ._ops.linear_algebra import matmul, matrix_transpose, tensordot, vecdot  # noqa: F401
