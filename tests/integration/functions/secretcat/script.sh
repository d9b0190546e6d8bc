#!/bin/sh
# Prints the secret named by SECRET_NAME as the function sees it: a file, never a variable.
set -eu
cat "/var/openfaas/secrets/$SECRET_NAME"
