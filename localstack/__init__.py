"""The local stack behind `oscar up`, `oscar down` and `oscar build`: MinIO, NATS Streaming, our
provider, the OpenFaaS gateway, queue-workers and our gateway as processes on this host, and
local images built from faas-cli's shrinkwrapped build contexts."""
