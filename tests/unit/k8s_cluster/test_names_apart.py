"""The one-node cluster and the provider's sandboxes share a host: the cluster's namespace and
cgroup root must never carry the provider's prefix, or the provider would count them as its
leftovers and remove them when it starts."""

from __future__ import annotations

from k8s_cluster.config import ClusterConfig
from provider.sandbox.names import PREFIX


def test_the_clusters_names_are_not_the_providers() -> None:
    config = ClusterConfig.from_env({})
    assert not config.netns.startswith(PREFIX)
    assert not config.node_name.startswith(PREFIX)
