#!/bin/sh
# A copy that says when it started and when the copy ended (epoch seconds, in the job's log
# tail): the platform benchmark reads the script's own start from it, not a proxy for it.
set -eu
echo "started $(date +%s.%N)"
cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"
echo "copied $(date +%s.%N)"
