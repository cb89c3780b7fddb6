# Types for the engine's hot loop when engine.py is compiled with Cython (optional).
cimport cython
from arraygrad._dispatch cimport TensorBase, Node, Op, Rule, SavedTensor, SavedOutput, wrap

@cython.locals(rule=Rule, st=SavedTensor, so=SavedOutput, results=list,
               args=list, i=Py_ssize_t, rules=tuple)
cpdef list _run_raw_node(Node node, Op op, TensorBase g, object xp, bint retain_graph, object edges)

@cython.locals(node=Node, child=Node, op=Op, buffers=dict, leaf_grads=dict, k=Py_ssize_t,
               deps=dict, ready=list, left=Py_ssize_t, results=list)
cpdef object _execute(object roots, object root_grads, bint retain_graph, bint create_graph,
                      object targets, object Tensor)

@cython.locals(node=Node, deps=dict, stack=list)
cpdef dict _count_consumers(object root_nodes)

@cython.locals(cur=TensorBase)
cpdef object accumulate_grad(TensorBase leaf, object g, bint create_graph, bint borrowed=*)
