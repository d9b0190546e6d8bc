"""`scripts/k8s up|down|status|plan`: the one-node cluster by hand (as root)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

from . import api, builder, cluster, images, netns, pki, plan, product, stack
from .config import ClusterConfig, current
from .errors import ClusterError


def _plan() -> str:
    config = current()
    lines = ["# files (all in the state folder)"]
    lines += [f"write {path}" for path in plan.files(config)]
    lines.append("# certificates (only those missing)")
    lines += [shlex.join(command) for command in pki.commands(config)]
    lines.append("# the cluster's network namespace")
    lines += [shlex.join(command) for command in netns.create_commands(config)]
    lines.append("# processes, in order (the kubelet joins containerd's namespaces)")
    pids = {"containerd": 0}
    for process in plan.processes(config):
        lines.append(shlex.join(process.command(config, pids)))
    return "\n".join(lines)


def _require_registry(config: ClusterConfig) -> None:
    try:
        ready = api.registry_ready(config)
    except OSError as e:
        ready = f"{type(e).__name__}: {e}"
    if ready is not True:
        raise ClusterError(
            f"the cluster's registry at {config.registry_on_host} does not answer ({ready}): "
            "start the cluster first with `scripts/k8s up`"
        )


def _build(config: ClusterConfig, stack_file: Path, only: list[str] | None, push: str) -> None:
    """Each function's image, pushed as <registry>/<image path>; pods pull it from the
    cluster's registry under the same path."""
    registry = push or config.registry_on_host
    for function in stack.functions(stack_file, only=only):
        start = time.monotonic()
        image = stack.pushed_name(function.image, registry)
        builder.build(config, handler=function.handler, image=image, args=function.build_args)
        pods = stack.pushed_name(function.image, config.registry_inside)
        print(f"{function.name}: pushed {image} in {time.monotonic() - start:.0f} s (pods: {pods})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/k8s", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start the cluster; wait until its node is Ready")
    commands.add_parser("plan", help="print what `up` would do, and do nothing")
    down = commands.add_parser("down", help="stop it; leave nothing outside the state folder")
    down.add_argument("--purge", action="store_true", help="also remove the state folder")
    commands.add_parser("status", help="what runs, as JSON")
    commands.add_parser("env", help="print `export KUBECONFIG=...` for a shell")
    commands.add_parser("images", help="push the base images (python, watchdog) to its registry")
    build = commands.add_parser(
        "build", help="build a stack's functions on the template with buildah, and push them"
    )
    build.add_argument("-f", "--file", default="stack.yml", help="the stack file (stack.yml)")
    build.add_argument("--filter", action="append", help="only this function (repeatable)")
    build.add_argument(
        "--push",
        metavar="REGISTRY",
        help="registry to push to, as the host reaches it (default: the cluster's)",
    )
    made = commands.add_parser(
        "product", help="build this project's gateway and provider image with buildah, and push it"
    )
    made.add_argument("--push", metavar="REGISTRY", help="registry to push to (the cluster's)")
    made.add_argument("--tag", default="latest", help="the image's tag (latest)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        config = current()
        if args.command == "plan":
            print(_plan())
        elif args.command == "env":
            print(f"export KUBECONFIG={shlex.quote(str(config.kubeconfig))}")
        elif args.command == "status":
            print(json.dumps(cluster.status(config), indent=2))
        else:
            if os.geteuid() != 0:
                raise ClusterError("the cluster needs root (namespaces, mounts): run with sudo")
            start = time.monotonic()
            if args.command in {"images", "build", "product"} and not args.__dict__.get("push"):
                _require_registry(config)
            if args.command == "images":
                print(json.dumps(asdict(images.push_base_images(config)), indent=2))
            elif args.command == "build":
                _build(config, Path(args.file), args.filter, args.push)
            elif args.command == "product":
                image = product.build(config, registry=args.push or "", tag=args.tag)
                print(f"pushed {image} in {time.monotonic() - start:.0f} s")
            elif args.command == "up":
                timings = cluster.up(config)
                print(json.dumps({"seconds": timings.steps, **cluster.status(config)}, indent=2))
            else:
                left = cluster.purge(config) if args.purge else cluster.down(config)
                took = f"down in {time.monotonic() - start:.1f} s"
                print(took + (f"; left behind: {left}" if left else ""))
                return 1 if left else 0
    except ClusterError as e:
        print(f"k8s: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
