#!/bin/sh
# grayify: OSCAR's canonical example. Turns every image it gets into a grey one with ImageMagick.
set -eu
name=$(basename "$INPUT_FILE_PATH")
echo "grayifying $name"
convert "$INPUT_FILE_PATH" -colorspace Gray "$TMP_OUTPUT_DIR/$name"
