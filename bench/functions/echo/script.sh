#!/bin/sh
# The smallest useful function: answers with the input's size (stdout is the sync answer).
wc -c < "$INPUT_FILE_PATH"
