"""`oscar build`: shrinkwrap the functions of a stack file, then make them local images.

`oscar build` followed by `faas-cli deploy` is the local engine's `faas-cli up`: the image names
come from the stack file exactly as faas-cli reads it, so they are the names deploy sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from localstack.errors import BuildFailed
from localstack.faascli import FaasCli, shrinkwrap_args
from provider.images import Image, ImageStore


class BuildProgress(Protocol):
    def step(self, message: str) -> None: ...
    def done(self, message: str) -> None: ...


TEMPLATE = "python-watchdog"


@dataclass(frozen=True)
class BuildPlan:
    stack_file: Path
    filter_: str | None
    functions: dict[str, str]  # function name -> image name
    store: Path

    @property
    def workdir(self) -> Path:
        return self.stack_file.parent

    def context(self, function: str) -> Path:
        return self.workdir / "build" / function

    def steps(self) -> list[str]:
        shrinkwrap = " ".join(shrinkwrap_args(self.stack_file, filter_=self.filter_))
        return [
            f"faas-cli {shrinkwrap}   (in {self.workdir})",
            *(
                f"materialise {self.context(name)} as image {image!r} into {self.store}"
                for name, image in self.functions.items()
            ),
        ]


def plan_build(
    faas_cli: FaasCli, stack_file: Path, *, filter_: str | None, store: Path
) -> BuildPlan:
    """Read the stack file through faas-cli (nothing is written) and list what will be built."""
    stack_file = stack_file.absolute()
    if not stack_file.is_file():
        raise BuildFailed(
            f"stack file {stack_file} not found; pass it with `-f` (faas-cli's default is "
            "stack.yml in the current folder)"
        )
    functions = faas_cli.functions(stack_file, filter_=filter_)
    if not functions:
        raise BuildFailed(f"{stack_file} defines no functions; nothing to build")
    return BuildPlan(stack_file=stack_file, filter_=filter_, functions=functions, store=store)


def execute_build(plan: BuildPlan, faas_cli: FaasCli, *, progress: BuildProgress) -> list[Image]:
    if _link_template(plan.workdir):
        progress.done(f"linked this project's python-watchdog template into {plan.workdir}")
    progress.step(f"faas-cli build --shrinkwrap -f {plan.stack_file.name}")
    faas_cli.build_shrinkwrap(plan.stack_file, filter_=plan.filter_)
    progress.done(f"shrinkwrapped {', '.join(plan.functions)} into {plan.workdir / 'build'}")
    store = ImageStore(plan.store)
    images = []
    for name, image in plan.functions.items():
        progress.step(f"materialising {name} as {image} (virtualenv and requirements)")
        images.append(store.materialise(image, plan.context(name)))
        progress.done(f"image {image} ready for `faas-cli deploy`")
    return images


def _link_template(workdir: Path) -> bool:
    """Give a stack file outside this repository our template, as `faas-cli template pull` would.

    faas-cli looks for `./template/<lang>` next to the stack file and otherwise tries to clone
    the default template repository, which fails offline and has no python-watchdog anyway.
    """
    ours = Path(__file__).resolve().parent.parent / "templates" / TEMPLATE
    target = workdir / "template" / TEMPLATE
    if target.exists() or not ours.is_dir():
        return False
    target.parent.mkdir(exist_ok=True)
    target.symlink_to(ours)
    return True
