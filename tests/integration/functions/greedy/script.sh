#!/bin/sh
# Touches 300 MB (bytes that are written, so every page is really used): far over a 64Mi limit.
echo "allocating 300 MB"
python3 -c 'data = b"x" * (300 << 20); print(len(data))'
