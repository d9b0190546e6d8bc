#!/bin/sh
# Names its output with a nanosecond timestamp, as scripts that must not overwrite do: a second
# run of the same file leaves a second output beside the first.
set -eu
name=$(basename "$INPUT_FILE_PATH" .txt)
tr 'a-z' 'A-Z' < "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/$name-$(date +%s%N).txt"
