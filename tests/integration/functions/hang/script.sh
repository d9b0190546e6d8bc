#!/bin/sh
# Starts a child that would outlive the script, records its pid, then hangs.
sleep 600 &
echo $! > "$MARKER_DIR/child.pid"
echo "hanging now"
wait
