#!/usr/bin/env bash
# medcite installs as a plain wheel into a current virtualenv, outside the Makefile's own:
#   pip wheel .  ->  pip install medcite-*.whl  ->  medcite ingest (synthetic folder)  ->  medcite ask
# once with the newest setuptools and once with no setuptools at all (Python 3.12+ virtualenvs
# have none; setuptools 81+ has no pkg_resources). CI runs this (.ci/run), so it cannot regress.
#
# Usage: scripts/check_wheel.sh [PYTHON]   (default python3; needs the package registry)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-${PYTHON:-python3}}"
work="$(mktemp -d "${TMPDIR:-/tmp}/medcite-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# A fresh, isolated install: no mirror, no bytecode tricks, no settings from the caller.
unset MEDCITE_MIRROR MEDCITE_HOME MEDCITE_MODEL_CACHE PYTHONDONTWRITEBYTECODE PYTHONPATH
export PIP_DISABLE_PIP_VERSION_CHECK=1

echo "== building the wheel (pip wheel .)"
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" .
wheel="$(ls "$work"/dist/medcite-*.whl)"
"$PYTHON" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
assert len(names) == len(set(names)), "a path is in the wheel twice"
need = [
    "medcite/store/migrations/001_initial.sql",
    "medcite/data/easy_words.txt",
    "medcite/web/templates/base.html",
    "medcite/web/static/medcite.css",
]
missing = [n for n in need if n not in names]
assert not missing, f"missing from the wheel: {missing}"
print(f"   {len(names)} files, no duplicates, data files present")
PY

corpus="$work/corpus"
mkdir -p "$corpus"
# Obviously synthetic: an invented condition, so no medical content is written here.
cat > "$corpus/quibble.md" <<'MD'
# Quibble Fever

Quibble fever is an invented condition of test robots, used only to check an installed wheel.
Its signs include blinking status lights and a habit of arguing with the test runner.
Quibble fever is caused by loose screws in the argument module.
MD

for variant in newest-setuptools no-setuptools; do
    echo "== $variant: fresh virtualenv, pip install the wheel"
    venv="$work/venv-$variant"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    if [ "$variant" = newest-setuptools ]; then
        "$venv/bin/python" -m pip install --quiet --upgrade setuptools
        "$venv/bin/python" -c "import importlib.metadata as m; print('   setuptools', m.version('setuptools'))"
    else
        "$venv/bin/python" -m pip uninstall --quiet --yes setuptools 2>/dev/null || true
        if "$venv/bin/python" -c "import setuptools" 2>/dev/null; then
            echo "setuptools is still importable in the no-setuptools virtualenv" >&2
            exit 1
        fi
        echo "   no setuptools"
    fi
    "$venv/bin/python" -m pip install --quiet "$wheel"
    export MEDCITE_HOME="$work/home-$variant" MEDCITE_MODEL_CACHE="$work/models-$variant"
    "$venv/bin/medcite" --version
    "$venv/bin/medcite" ingest "$corpus" --json > "$work/ingest.json"
    "$venv/bin/medcite" ask "What causes quibble fever?" --json > "$work/answer.json"
    "$venv/bin/python" - "$work/ingest.json" "$work/answer.json" <<'PY'
import json, sys
ingest = json.load(open(sys.argv[1]))
answer = json.load(open(sys.argv[2]))
assert ingest["ok"], ingest
statements = [i["text"] for s in answer["sections"] for i in s["items"]]
statements.append(answer["summary"]["text"])
assert not answer["abstained"], answer.get("abstain_reason")
assert any("loose screws" in s for s in statements), statements
assert answer["references"] and answer["support_rate"] == 1.0, answer["support_rate"]
added = sum(job["added"] for job in ingest["jobs"])
assert added == 1, ingest
print(f"   ingested {added} document; answered with {len(statements)} statements, "
      f"{len(answer['references'])} reference(s), all verified")
PY
    unset MEDCITE_HOME MEDCITE_MODEL_CACHE
done
echo "== the wheel installs and answers with the newest setuptools and with none"
