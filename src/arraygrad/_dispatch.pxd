# Declarations that make the op path's classes C structs and its hot functions C calls
# when _dispatch.py is compiled with Cython (optional: the .py runs as it is without).
# Cython lets None through typed arguments (a crash when read): unary and binary, which
# public modules import, refuse it themselves.
cimport cython

cdef class _AnomalyState:
    cdef public bint enabled
    cdef public object check_nan, capture

cdef class TensorBase:
    cdef public object _data, _backend, _dtype, grad_fn, _grad, _vc, _base, _meta
    cdef public bint _requires_grad
    cdef object __weakref__

cdef class Rule:
    cdef public object fn, params, inputs
    cdef public bint takes_xp

cdef class Op:
    cdef public object name, impl, inputs, rules, node_type, dtypes, category, diff_outputs, _plans
    cdef public object saved_outputs, node_types_by_operands
    cdef public bint variadic, float_inputs, broadcasts, differentiable, raw, refuses_bool
    cdef public Py_ssize_t nout
    cdef object __weakref__

cdef class Node:
    cdef public object next, saved, meta, _hooks, _retained, _anomaly
    cdef object __weakref__

cdef class VersionCounter:
    cdef public object value, exported, saved

cdef class _Saved:
    cdef public object version, snapshot
    cdef object __weakref__

cdef class SavedTensor(_Saved):
    cdef public object tensor
    cpdef object unpack_data(self, object node)

cdef class SavedOutput(_Saved):
    cdef public object data, backend, vc, index
    cpdef object unpack_data(self, object node)

cdef class TensorMeta:
    cdef public object out_index, hooks, retains_grad, name, accumulator, no_grad_view

@cython.locals(t=TensorBase)
cpdef object wrap(object data, object backend)

@cython.locals(t=TensorBase)
cpdef object unary(Op op, object x)

@cython.locals(t1=TensorBase, t2=TensorBase)
cpdef object binary(Op op, object x1, object x2)

@cython.locals(node=Node, t1=TensorBase, t2=TensorBase)
cpdef object record_pair(Op op, TensorBase out, object x1, object x2)

@cython.locals(root=TensorBase)
cpdef object _register(_Saved rec, TensorBase t)

@cython.locals(node=Node, edges=object, meta=object)
cdef void _untrack_graph(object node, object edges, object meta, object saved)
