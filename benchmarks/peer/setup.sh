#!/usr/bin/env bash
# Create the peer environment of benchmarks/bench_speed.py: a venv with Brian2
# and a NumPy it imports with (requirements.txt beside this script), apart from
# the environment normad_edu runs in. The venv goes to $NORMAD_PEER_VENV, or
# benchmarks/peer/.venv-peer (ignored by git). The Python that creates it is
# $PYTHON, or python3. Ends by compiling a tiny Brian2 model to say which code
# generation target works (cython needs a C compiler, else numpy).
#
#   bash benchmarks/peer/setup.sh
#   NORMAD_PEER_VENV=/tmp/peer PYTHON=python3.11 bash benchmarks/peer/setup.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${NORMAD_PEER_VENV:-$here/.venv-peer}"
python="${PYTHON:-python3}"
"$python" -m venv "$venv"
env -u PYTHONPATH "$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
env -u PYTHONPATH "$venv/bin/python" "$here/brian2_network.py" --check
echo "peer environment ready: $venv"
