#!/usr/bin/env bash
# Run consumer libraries' OWN array-API test suites against arraygrad (CPU).
#
#   conformance/consumers/run.sh [sklearn|scipy|xpx|all] [extra pytest args...]
#
#   sklearn  scikit-learn's tests, array-API parametrizations (sklearn_plugin.py)
#   scipy    SciPy's array-API tests of special, fft, cluster, signal, stats, ndimage,
#            integrate, differentiate, optimize, interpolate, spatial, linalg, constants, and
#            scipy/_lib/tests/test_array_api.py + test__util.py (scipy_plugin.py)
#   xpx      array-api-extra's tests, shipped inside the installed package (xpx_plugin.py)
#   all      the three in turn (default)
#
# Only arraygrad-parametrized tests are selected (--arraygrad-only, see _common.py), so an
# extra -k composes with it. Extra arguments go to every consumer's pytest.
#
# Environment: JOBS              pytest-xdist workers, when xdist is installed (default 2;
#                                0 = no workers)
#              AG_DEFAULT_DTYPE  arraygrad's default float dtype for the SciPy run: float64
#                                (default) or float32; see scipy_plugin.py for why
#              AG_ONLY           1 (default): only arraygrad-parametrized tests; 0: all the
#                                backends below (reference runs, to tell whether a failure is
#                                arraygrad's; the summary counts arraygrad and the rest apart)
#              SKLEARN_NAMESPACES  namespaces for scikit-learn (default arraygrad; e.g.
#                                arraygrad,array_api_strict; see sklearn_plugin.py)
#              SCIPY_BACKENDS    SciPy's backend selection (default '["arraygrad"]'; e.g.
#                                '["arraygrad","torch"]'; becomes SCIPY_ARRAY_API)
#              REPORTS_DIR       where junit xml, logs and failure lists go
#                                (default conformance/reports/consumers, git-ignored)
#              PYTHON            interpreter (default python)
#
# Exit status: the worst pytest exit status (1 = some test failed; the known, explained
# failures listed in README.md make that the usual outcome: read the counts).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${PYTHON:-python}
which=${1:-all}
[ $# -gt 0 ] && shift
case "$which" in
  sklearn|scipy|xpx) consumers=("$which") ;;
  all) consumers=(sklearn scipy xpx) ;;
  -h|--help) sed -n '2,/^set -uo/{/^set -uo/!p}' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) echo "unknown consumer '$which' (sklearn, scipy, xpx, all)" >&2; exit 2 ;;
esac

reports=${REPORTS_DIR:-$root/conformance/reports/consumers}
mkdir -p "$reports"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"

# -p no:benchmark: pytest-benchmark, when installed, warns under xdist, and SciPy's
# filterwarnings=error makes that an internal error
common=(-p no:cacheprovider -p no:benchmark -q -rfEX --tb=short)
[ "${AG_ONLY:-1}" != 0 ] && common+=(--arraygrad-only)
if "$py" -c "import xdist" 2>/dev/null && [ "${JOBS:-2}" != 0 ]; then
  common+=(-n "${JOBS:-2}")
fi

# the directory holding an installed package: pytest's rootdir and working directory, so
# node ids are short and no configuration file of this repository is picked up (the
# consumer's ini is given with -c; -p no:cacheprovider keeps pytest from writing there)
site_of() { "$py" -c "import os, $1 as m; print(os.path.dirname(os.path.dirname(m.__file__)))"; }

worst=0
summary=()
run_one() {
  local name=$1; shift
  local xml="$reports/$name.xml" log="$reports/$name.log"
  local -a cmd
  local pkg=$name site
  [ "$name" = xpx ] && pkg=array_api_extra
  if ! site=$(site_of "$pkg"); then
    summary+=("$name   cannot import $pkg: not run"); worst=$((worst > 4 ? worst : 4)); return
  fi
  case "$name" in
    sklearn)
      cmd=(env SCIPY_ARRAY_API=1
           "$py" -m pytest -c "$here/sklearn_pytest.ini" --rootdir="$site"
           -p sklearn_plugin --pyargs sklearn) ;;
    scipy)
      # float64 by default, as SciPy's conftest sets torch's default dtype (scipy_plugin.py)
      cmd=(env SCIPY_ARRAY_API="${SCIPY_BACKENDS:-[\"arraygrad\"]}" AG_DEFAULT_DTYPE="${AG_DEFAULT_DTYPE:-float64}"
           "$py" -m pytest -c "$here/scipy_pytest.ini" --rootdir="$site"
           -p scipy_plugin --pyargs scipy.special scipy.fft scipy.cluster scipy.signal scipy.stats
           scipy.ndimage scipy.integrate scipy.differentiate scipy.optimize scipy.interpolate
           scipy.spatial scipy.linalg scipy.constants
           scipy._lib.tests.test_array_api scipy._lib.tests.test__util) ;;
      # (not all of scipy/_lib/tests: some of its tests hang under pytest-xdist)
    xpx)
      # tests/vendoring checks array-api-extra's vendoring from its repository layout
      # (imports a top-level `tests` package); it has no arraygrad parametrization
      cmd=("$py" -m pytest -c "$here/xpx_pytest.ini" --rootdir="$site"
           -p xpx_plugin --pyargs array_api_extra.tests
           --ignore="$site/array_api_extra/tests/vendoring") ;;
  esac
  echo "=== $name: ${cmd[*]} ${common[*]} --junitxml=$xml $*" | tee "$log"
  rm -f "$xml" "$reports/$name-failures.txt"
  local t0=$SECONDS
  # run from the installed packages' folder, pytest's rootdir: short paths in its output
  (cd "$site" && "${cmd[@]}" "${common[@]}" --junitxml="$xml" "$@") 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]} dt=$((SECONDS - t0))
  [ "$rc" -gt "$worst" ] && worst=$rc
  local counts
  if [ -s "$xml" ]; then
    counts=$("$py" "$here/junit_counts.py" "$name" "$xml" "$reports/$name-failures.txt")
  else
    counts="$name   no junit xml written (pytest exit status $rc): see $log"
  fi
  summary+=("$counts" "         wall time $((dt / 60))m$((dt % 60))s, pytest exit status $rc, log $log")
}

for c in "${consumers[@]}"; do
  run_one "$c" "$@"
done

echo
echo "=== arraygrad in its consumers' own test suites (failed/erroring ids: $reports/<name>-failures.txt)"
printf '%s\n' "${summary[@]}"
exit "$worst"
