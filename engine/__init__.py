"""The local OpenFaaS engine: images from shrinkwrapped build contexts, replicas as processes."""
