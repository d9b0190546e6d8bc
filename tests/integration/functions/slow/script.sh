#!/bin/sh
# Takes a moment, then says which replica ran it (its HOME is in the replica's own folder) and
# which VERSION of the deployment it belongs to: for spread and rolling-update tests.
set -eu
sleep "${SLEEP_SECONDS:-0.3}"
echo "replica=$HOME version=${VERSION:-none}"
