#!/bin/sh
# Starts a child that would outlive the script, then hangs: the supervisor's SCRIPT_TIMEOUT must
# end both (it kills the script's whole process group).
echo "hanging on $(basename "$INPUT_FILE_PATH")"
sleep 600 &
wait
