"""The throwaway module that builds Kubernetes' binaries from k8s.io/kubernetes."""

from __future__ import annotations

import pytest

from tools import kubernetes

UPSTREAM = """module k8s.io/kubernetes

require (
	k8s.io/api v0.0.0
	k8s.io/sample-controller v0.0.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	k8s.io/sample-cli-plugin => ./staging/src/k8s.io/sample-cli-plugin
	k8s.io/sample-controller => ./staging/src/k8s.io/sample-controller
)
"""


def test_each_served_staging_module_is_mapped_to_its_published_release() -> None:
    text = kubernetes.go_mod(upstream_go_mod=UPSTREAM, version="v1.34.4")

    assert "\tk8s.io/api => k8s.io/api v0.34.4\n" in text
    assert "\tk8s.io/client-go => k8s.io/client-go v0.34.4\n" in text
    assert "sample-" not in text
    assert "require k8s.io/kubernetes v1.34.4" in text


def test_the_version_is_stamped_for_servers_and_clients() -> None:
    flags = kubernetes.ldflags("v1.34.4")

    for package in kubernetes.VERSION_PACKAGES:
        assert f"-X {package}.gitVersion=v1.34.4" in flags
        assert f"-X {package}.gitMinor=34" in flags


def test_a_version_that_is_not_a_release_is_refused() -> None:
    with pytest.raises(ValueError, match=r"v1\.34\.4"):
        kubernetes.staging_version("master")


def test_the_tools_file_imports_each_command_but_only_for_go_mod_tidy() -> None:
    text = kubernetes.tools_go(["kube-apiserver", "kubectl", "pause"])

    assert text.startswith("//go:build tools\n")
    assert '"k8s.io/kubernetes/cmd/kube-apiserver/app"' in text
    assert '"k8s.io/kubectl/pkg/cmd"' in text
    assert "pause" not in text
