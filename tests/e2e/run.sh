#!/usr/bin/env bash
# The end-to-end tests: accuracy on labelled exports, bad inputs, and SQL
# dumps (column classification and policy included).
#   tests/e2e/run.sh [BIN]     (from the repository root; BIN defaults to build/piiscan)
set -euo pipefail
here=$(dirname "$0")
BIN=${1:-build/piiscan}
bash "$here/test_accuracy.sh" "$BIN"
bash "$here/test_bad_input.sh" "$BIN"
bash "$here/test_dumps.sh" "$BIN"
