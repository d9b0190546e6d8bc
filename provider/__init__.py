"""Our faas-provider: the HTTP API the OpenFaaS gateway calls, over local images and replicas.

`python -m provider` runs it. Nothing is imported here: the local stack imports parts of it (the
image store) without the HTTP server's dependencies.
"""
