# The collector's C API, which _dispatch.py cimports where it is compiled (see its
# "Graph objects and the cyclic garbage collector" note).
cdef extern from "Python.h":
    void PyObject_GC_Track(object)
    void PyObject_GC_UnTrack(object)
    bint PyObject_GC_IsTracked(object)
