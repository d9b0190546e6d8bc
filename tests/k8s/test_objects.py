"""The objects the tier creates say who made them, and their selectors select their pods."""

from __future__ import annotations

from typing import Any

from . import objects

EVERY = [
    objects.job("a", "img", ["true"]),
    objects.deployment("b", "img", port=8080, secrets="s"),
    objects.secret("c", {"k": "v"}),
    objects.lease("d", holder="me", seconds=15),
]


def test_every_object_and_pod_template_is_labelled_by_who_made_it() -> None:
    def labelled(body: dict[str, Any]) -> bool:
        labels: dict[str, str] = body["metadata"]["labels"]
        return labels.items() >= objects.MANAGED_BY.items()

    assert all(labelled(body) for body in EVERY)
    assert all(labelled(b["spec"]["template"]) for b in EVERY if b["kind"] in {"Job", "Deployment"})


def test_a_deployment_selects_exactly_its_own_pods() -> None:
    body = objects.deployment("b", "img", port=8080)

    assert body["spec"]["selector"]["matchLabels"] == body["spec"]["template"]["metadata"]["labels"]


def test_a_functions_secrets_are_mounted_where_openfaas_mounts_them() -> None:
    pod = objects.deployment("b", "img", port=8080, secrets="s")["spec"]["template"]["spec"]

    assert pod["volumes"] == [{"name": "secrets", "secret": {"secretName": "s"}}]
    assert pod["containers"][0]["volumeMounts"][0]["mountPath"] == "/var/openfaas/secrets"
