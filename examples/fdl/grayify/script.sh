#!/bin/bash
# Every image that arrives becomes a grey copy with the same name.
set -eu
name=$(basename "$INPUT_FILE_PATH")
echo "SCRIPT: grayifying $INPUT_FILE_PATH into $TMP_OUTPUT_DIR/$name"
convert "$INPUT_FILE_PATH" -type Grayscale "$TMP_OUTPUT_DIR/$name"
