#!/bin/sh
# The cheapest useful script: copies its input to its output, so the cost measured is the platform's.
set -eu
cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"
