#!/bin/sh
# The k8s tier's function: says who it is, so a pod's log proves which image ran.
echo "hello from $(cat /etc/debian_version) python $(python3 -c 'import sys; print(sys.version.split()[0])')"
