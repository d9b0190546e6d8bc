#!/bin/sh
set -eu
name=$(basename "$INPUT_FILE_PATH")
echo "stage 2: thumbnail of $name"
convert "$INPUT_FILE_PATH" -thumbnail '64x64>' "$TMP_OUTPUT_DIR/$name"
