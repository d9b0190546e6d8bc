#!/bin/sh
# Reads the whole input and writes no output: the big-file benchmark measures download and memory.
set -eu
wc -c < "$INPUT_FILE_PATH"
