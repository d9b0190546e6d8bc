#!/bin/sh
set -eu
mkdir -p "$TMP_OUTPUT_DIR/a" "$TMP_OUTPUT_DIR/b/c"
echo "first" > "$TMP_OUTPUT_DIR/a/x.txt"
echo "second" > "$TMP_OUTPUT_DIR/b/c/y.txt"
ln -s /etc/hostname "$TMP_OUTPUT_DIR/escape-link"
