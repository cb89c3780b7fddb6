#!/usr/bin/env bash
# Run the array API standard's test suite (data-apis/array-api-tests) against arraygrad.
#
#   conformance/run.sh [BACKEND] [extra pytest args...]     BACKEND: numpy (default) | cupy | strict | dask
#
# Environment: ARRAY_API_TESTS_DIR   a checkout of data-apis/array-api-tests with its array-api
#                                    submodule (default: .conformance-suite/array-api-tests, cloned
#                                    there on first use when the network allows)
#              MAX_EXAMPLES          hypothesis examples per test (default 100)
#              JOBS                  pytest-xdist workers (default: auto)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
backend=${1:-numpy}
[ $# -gt 0 ] && shift
suite=${ARRAY_API_TESTS_DIR:-$root/.conformance-suite/array-api-tests}

if [ ! -d "$suite/array_api_tests" ]; then
  echo "array-api-tests not found at $suite; cloning it (with its array-api submodule)..." >&2
  mkdir -p "$(dirname "$suite")"
  if ! git clone -q https://github.com/data-apis/array-api-tests "$suite" \
     || ! git -C "$suite" submodule update -q --init array-api; then
    cat >&2 <<MSG
Could not clone the suite (no network?). Get data-apis/array-api-tests and data-apis/array-api
some other way, then either
  - put array-api-tests at $suite, with array-api checked out inside it at the commit its
    gitlink names (git -C $suite ls-tree HEAD array-api), or
  - point ARRAY_API_TESTS_DIR at such a checkout.
The suite needs: pip install pytest pytest-json-report hypothesis ndindex
MSG
    exit 2
  fi
fi
if [ ! -f "$suite/array-api/src/array_api_stubs/_2025_12/__init__.py" ]; then
  echo "the suite's array-api submodule is missing or too old at $suite/array-api" >&2
  exit 2
fi

case "$backend" in
  numpy) module="arraygrad" ;;
  cupy)  module="exec('import arraygrad; arraygrad.set_default_device(\"cuda\"); xp = arraygrad')" ;;
  # array-api-strict as a second CPU backend (the test suite's plugin, tests/_strict_backend.py)
  strict) module="exec('import sys; sys.path.insert(0, \"$root/tests\"); import arraygrad, _strict_backend; arraygrad.register_backend(\"strict\", _strict_backend.StrictBackend, default_for=\"cpu\"); xp = arraygrad')" ;;
  # the Dask backend on device "dask" (registered from backends/ as well, for a checkout
  # whose install predates its entry point)
  dask) module="exec('import sys; sys.path.insert(0, \"$root/backends\"); import arraygrad, arraygrad_dask; arraygrad.register_backend(\"dask\", arraygrad_dask.DaskBackend); arraygrad.set_default_device(\"dask\"); xp = arraygrad')" ;;
  *) echo "unknown backend $backend (numpy, cupy, strict, dask)" >&2; exit 2 ;;
esac

xfails="$here/xfails-$backend.txt"
# No hypothesis deadline: an example's wall time measures the machine's load (a shared CI
# runner, other jobs), not conformance; under load the suite's slow unvectorized tests (one
# getitem per element of a 7200-element result) pass 800 ms and fail as "flaky".
args=(--max-examples="${MAX_EXAMPLES:-100}" --disable-deadline -p no:cacheprovider -q -rf --disable-warnings)
[ -f "$xfails" ] && args+=(--xfails-file="$xfails")
if python -c "import xdist" 2>/dev/null; then args+=(-n "${JOBS:-auto}"); fi

cd "$suite"
export ARRAY_API_TESTS_MODULE="$module" ARRAY_API_TESTS_VERSION=2025.12
exec python -m pytest array_api_tests "${args[@]}" "$@"
