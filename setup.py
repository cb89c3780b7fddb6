"""Optional compiled core: `_dispatch.py` and the autograd engine compiled by Cython.

The modules stay plain Python (their `.pxd` files give Cython the types: C structs for
Tensor and Node, C calls on the op path); compiled, the per-op overhead of recording and
backward drops by 25-45% (docs/architecture.md). Without Cython or a C compiler, or with
ARRAYGRAD_PURE_PYTHON=1 set at install time, the same sources run as they are.
"""

import runpy

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# the list and the switch live with the package (its run-time choice reads them); loaded
# without importing arraygrad, which may not be importable yet
_COMPILED_MODULE = runpy.run_path("src/arraygrad/_compiled.py")
COMPILED = _COMPILED_MODULE["COMPILED"]


def extensions():
    if _COMPILED_MODULE["pure_python_requested"]():
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    modules = [Extension(name, ["src/" + name.replace(".", "/") + ".py"]) for name in COMPILED]
    try:
        return cythonize(modules, build_dir="build/cython", language_level=3, quiet=True,
                         compiler_directives={"annotation_typing": False, "binding": True})
    except Exception as exc:  # noqa: BLE001 - e.g. a Cython older than 3 in a build without isolation
        print(f"warning: the core was not compiled ({exc}); the plain-Python sources will run")
        return []


class OptionalBuildExt(build_ext):
    """Build what compiles; a failure (no C compiler, missing headers) leaves that module
    to its plain-Python source instead of failing the install."""

    def build_extensions(self):
        self._failed = set()
        super().build_extensions()
        # what failed is no output: the install then ships (or links) only the sources
        self.extensions = [e for e in self.extensions if e.name not in self._failed]

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001 - any build failure has the same fallback
            self._failed.add(ext.name)
            print(f"warning: {ext.name} not compiled ({exc}); the plain-Python source will run")


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
