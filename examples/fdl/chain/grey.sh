#!/bin/sh
set -eu
name=$(basename "$INPUT_FILE_PATH")
echo "stage 1: grey $name"
convert "$INPUT_FILE_PATH" -colorspace Gray "$TMP_OUTPUT_DIR/$name"
