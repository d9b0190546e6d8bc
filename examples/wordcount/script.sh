#!/bin/sh
# wordcount: a synchronous example, text in and text out (see wordcount.py).
set -eu
exec python3 "$(dirname "$0")/wordcount.py"
