#!/bin/sh
# thumbnail: a Python example with a requirement (Pillow, pinned in requirements.txt).
set -eu
exec python3 "$(dirname "$0")/thumbnail.py"
