#!/bin/sh
# Runs once per file: the input is $INPUT_FILE_PATH; whatever you write into $TMP_OUTPUT_DIR is
# uploaded to the function's OUTPUT_PATH (or returned, for a synchronous call).
set -eu
name=$(basename "$INPUT_FILE_PATH")
echo "processing ${STORAGE_OBJECT_KEY:-$name} ($(wc -c < "$INPUT_FILE_PATH") bytes)"
cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$name"
