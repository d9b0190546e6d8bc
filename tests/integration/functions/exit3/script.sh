#!/bin/sh
echo "starting on $(basename "$INPUT_FILE_PATH")"
echo "partial" > "$TMP_OUTPUT_DIR/partial.txt"
echo "something went wrong" >&2
exit 3
