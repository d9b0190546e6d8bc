"""The gateway: MinIO events to tracked OpenFaaS jobs, synchronous calls, services and auth."""
