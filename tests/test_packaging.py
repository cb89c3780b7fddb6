"""Packaging (STYLE 8.2): the backends/ plugin packages, the pyproject entry points, the
packages setuptools finds and the installed entry points agree; backends/ holds nothing else;
a built wheel holds exactly arraygrad/, arraygrad_numpy/, arraygrad_cupy/ and the entry
points, and the compiled core where Cython could build it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import arraygrad
from arraygrad._compiled import pure_python_requested

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
GROUP = "arraygrad.backends"
IGNORED = {"__pycache__"}


def _declared() -> dict[str, str]:
    return dict(PYPROJECT["project"]["entry-points"][GROUP])


def _plugin_dirs() -> list[str]:
    return sorted(p.name for p in (ROOT / "backends").iterdir()
                  if p.name not in IGNORED and not p.name.startswith("."))


def test_backends_dir_holds_only_plugin_packages():
    names = _plugin_dirs()
    assert names and all(n.startswith("arraygrad_") for n in names), names
    for name in names:
        pkg = ROOT / "backends" / name
        assert pkg.is_dir() and (pkg / "__init__.py").is_file(), f"backends/{name} is not a package"
        stray = [str(p.relative_to(pkg)) for p in pkg.rglob("*")
                 if not (IGNORED & set(p.parts)) and p.is_file() and p.suffix != ".py"]
        assert stray == [], f"backends/{name} ships non-Python files: {stray}"


def test_entry_points_match_the_plugin_dirs():
    declared = _declared()
    modules = {value.split(":")[0] for value in declared.values()}
    assert modules == set(_plugin_dirs())
    for name, value in declared.items():
        module, _, attr = value.partition(":")
        assert module == f"arraygrad_{name}", f"entry point {name!r} -> {value!r}"
        assert attr, f"entry point {name!r} names no class"


def test_setuptools_finds_exactly_arraygrad_and_the_plugins():
    from setuptools import find_packages

    roots = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["where"]
    assert roots == ["src", "backends"]
    found = {p.split(".")[0] for root in roots for p in find_packages(str(ROOT / root))}
    assert found == {"arraygrad", *_plugin_dirs()}  # never `tests` (gotcha 2)


def test_installed_entry_points_match_pyproject():
    """A stale install (pyproject changed, `pip install -e .` not re-run) fails here."""
    installed = {ep.name: ep.value for ep in entry_points(group=GROUP)}
    assert installed == _declared()


@pytest.mark.parametrize("name", sorted(_declared()))
def test_entry_points_load_backend_classes(name):
    (ep,) = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    cls = ep.load()  # imports the plugin module only (CuPy itself stays unimported)
    assert isinstance(cls, type) and issubclass(cls, arraygrad.Backend)
    assert cls.name == name


def test_tests_are_not_an_installed_package(tmp_path):
    """hatch's default editable install would expose backends/tests as `tests` (gotcha 2)."""
    code = ("import importlib.util, json; s = importlib.util.find_spec('tests'); "
            "print(json.dumps(None if s is None else s.origin))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env={k: v for k, v in os.environ.items()
                                                     if k != "PYTHONPATH"})
    origin = json.loads(out.stdout)
    assert origin is None or not origin.startswith(str(ROOT)), origin


# packaging is checked once, in the run on the default build (not again with the sources)
ONCE = pytest.mark.skipif(pure_python_requested(), reason="checked in the default build's run")


def _build_wheel(tmp_path, *options, env=None) -> Path:
    """`pip wheel` of a clean copy of the sources; the wheel's path."""
    src = _source_copy(tmp_path / "src")
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(tmp_path), *options]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("arraygrad-*.whl")
    return wheel


def _ships_extension(names, module) -> bool:
    path = module.replace(".", "/")
    return any(n.startswith(path + ".") and n.endswith(".so") for n in names)


def _source_copy(dest: Path) -> Path:
    """The sources without build leftovers (setuptools reuses build/ and would ship its
    stale extension modules): the repository's own files, copied to `dest`."""
    import shutil

    skip = shutil.ignore_patterns("build", "*.so", "*.egg-info", "__pycache__", ".*", "reports")
    shutil.copytree(ROOT, dest, ignore=skip)
    return dest


@pytest.mark.slow
@ONCE
def test_wheel_contents(tmp_path):
    """`pip wheel . --no-deps`: exactly the three packages and the entry points."""
    compiled = importlib.util.find_spec("Cython") is not None
    offline = compiled and importlib.util.find_spec("setuptools") is not None
    # offline: the installed setuptools builds it
    wheel = _build_wheel(tmp_path, *(["--no-build-isolation"] if offline else []))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        dist_info = f"arraygrad-{arraygrad.__version__}.dist-info"
        top = {n.split("/")[0] for n in names}
        assert top == {"arraygrad", *_plugin_dirs(), dist_info}
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        for name in _plugin_dirs():
            shipped = sorted(n.split("/", 1)[1] for n in names if n.startswith(name + "/"))
            local = sorted(str(p.relative_to(ROOT / "backends" / name)) for p in
                           (ROOT / "backends" / name).rglob("*.py") if not (IGNORED & set(p.parts)))
            assert shipped == local
        assert "arraygrad/__init__.py" in names and "arraygrad/_ops/__init__.py" in names
        from arraygrad._compiled import COMPILED

        for module in COMPILED:  # the sources always
            assert module.replace(".", "/") + ".py" in names
        # the extensions all or none (they cimport each other's types); all where Cython is
        # installed here (an isolated build gets its own Cython, and compiles where a C
        # compiler is found)
        built = {_ships_extension(names, module) for module in COMPILED}
        assert built == {True} if compiled else len(built) == 1
        compiled = built == {True}
        text = z.read(f"{dist_info}/entry_points.txt").decode()
    parsed = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and section == GROUP:
            k, v = (s.strip() for s in line.split("=", 1))
            parsed[k] = v
    assert parsed == _declared()
    # installed from the wheel, it runs compiled, without a stale-build warning (installing
    # writes the sources after the extensions)
    target = tmp_path / "installed"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                           str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    code = "import arraygrad, arraygrad._compiled as c; print(arraygrad.__file__, c.is_compiled())"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ARRAYGRAD_PURE_PYTHON")}
    proc = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env={**env, "PYTHONPATH": str(target)})
    assert proc.returncode == 0, proc.stderr
    where, is_compiled = proc.stdout.split()
    assert where.startswith(str(target)) and is_compiled == str(compiled)


@pytest.mark.slow
@ONCE
@pytest.mark.skipif(importlib.util.find_spec("Cython") is None, reason="nothing is compiled without Cython")
def test_wheel_without_a_c_compiler_ships_the_sources(tmp_path):
    """A machine without a working C compiler still installs: the compiled core is skipped
    (setup.py's OptionalBuildExt) and the plain-Python sources run."""
    wheel = _build_wheel(tmp_path, "--no-build-isolation", env={**os.environ, "CC": "false"})
    names = zipfile.ZipFile(wheel).namelist()
    from arraygrad._compiled import COMPILED

    for module in COMPILED:
        assert module.replace(".", "/") + ".py" in names
        assert not _ships_extension(names, module)


@pytest.mark.slow
@ONCE
def test_sdist_carries_what_the_compiled_build_needs(tmp_path):
    """A build from the sdist compiles the same typed core: setup.py and the .pxd files
    travel with the sources."""
    import tarfile

    src = _source_copy(tmp_path / "src")
    proc = subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path)], cwd=src,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (sdist,) = tmp_path.glob("arraygrad-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    from arraygrad._compiled import COMPILED

    assert {"setup.py", "pyproject.toml"} <= names
    for module in COMPILED:
        base = "src/" + module.replace(".", "/")
        assert {base + ".py", base + ".pxd"} <= names
