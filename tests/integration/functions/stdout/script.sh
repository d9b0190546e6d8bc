#!/bin/sh
# Writes no output file: a synchronous call answers with this stdout; stderr is only the log.
echo "this goes to the log" >&2
printf 'bytes=%s\n' "$(wc -c < "$INPUT_FILE_PATH" | tr -d ' ')"
