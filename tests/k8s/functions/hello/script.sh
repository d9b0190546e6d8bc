#!/bin/sh
# The k8s tier's function: says who it is, so a pod's log proves which image ran. With an input
# (a storage event) it waits HELLO_SLEEP seconds, fails when HELLO_FAIL is set, else copies the
# input to its outputs.
echo "hello from $(cat /etc/debian_version) python $(python3 -c 'import sys; print(sys.version.split()[0])')"
if [ -n "${INPUT_FILE_PATH:-}" ]; then
  sleep "${HELLO_SLEEP:-0}"
  if [ -n "${HELLO_FAIL:-}" ]; then echo "failing as asked" >&2; exit 3; fi
  cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"
fi
