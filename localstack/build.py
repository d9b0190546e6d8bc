"""`oscar build`: shrinkwrap the functions of a stack file, then make them local images.

`oscar build` followed by `faas-cli deploy` is the local engine's `faas-cli up`: the image names
come from the stack file exactly as faas-cli reads it, so they are the names deploy sends. A
`lang: dockerfile` function, which faas-cli will not shrinkwrap, is read from its handler's
Dockerfile instead (`localstack.dockerfile_image`); its problems are found while planning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from localstack.dockerfile_image import DockerfileImage, read_dockerfile
from localstack.dockerfile_layout import lay_out
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
    dockerfiles: dict[str, DockerfileImage] = field(default_factory=dict)  # lang: dockerfile

    @property
    def shrinkwrapped(self) -> list[str]:
        return [name for name in self.functions if name not in self.dockerfiles]

    @property
    def workdir(self) -> Path:
        return self.stack_file.parent

    def context(self, function: str) -> Path:
        return self.workdir / "build" / function

    def shrinkwrap_calls(self) -> list[list[str]]:
        """One faas-cli call for the whole selection, or one per template function when the
        selection holds `lang: dockerfile` functions too (faas-cli refuses to shrinkwrap them)."""
        if not self.shrinkwrapped:
            return []
        if not self.dockerfiles:
            return [shrinkwrap_args(self.stack_file, filter_=self.filter_)]
        return [shrinkwrap_args(self.stack_file, filter_=name) for name in self.shrinkwrapped]

    def steps(self) -> list[str]:
        return [
            *(
                f"faas-cli {' '.join(call)}   (in {self.workdir})"
                for call in self.shrinkwrap_calls()
            ),
            *(
                f"lay out {name}'s Dockerfile (FROM {image.base}, fprocess "
                f"{image.env['fprocess']!r}) into {self.context(name)}"
                for name, image in self.dockerfiles.items()
            ),
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
    dockerfiles = {
        name: read_dockerfile(stack_file.parent / handler)
        for name, handler in _dockerfile_handlers(stack_file).items()
        if name in functions
    }
    return BuildPlan(
        stack_file=stack_file,
        filter_=filter_,
        functions=functions,
        store=store,
        dockerfiles=dockerfiles,
    )


def _dockerfile_handlers(stack_file: Path) -> dict[str, str]:
    """The `lang: dockerfile` functions of the stack file and their handler folders."""
    document = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    functions = document.get("functions") or {}
    return {
        str(name): str(spec.get("handler") or ".")
        for name, spec in functions.items()
        if isinstance(spec, dict) and spec.get("lang") == "dockerfile"
    }


def execute_build(plan: BuildPlan, faas_cli: FaasCli, *, progress: BuildProgress) -> list[Image]:
    calls = plan.shrinkwrap_calls()
    if calls and _link_template(plan.workdir):
        progress.done(f"linked this project's python-watchdog template into {plan.workdir}")
    for call in calls:
        progress.step(f"faas-cli {' '.join(call)}")
        faas_cli.run(*call, cwd=plan.workdir)
    if calls:
        shrinkwrapped = ", ".join(plan.shrinkwrapped)
        progress.done(f"shrinkwrapped {shrinkwrapped} into {plan.workdir / 'build'}")
    for name, dockerfile in plan.dockerfiles.items():
        lay_out(dockerfile, plan.context(name))
        progress.done(f"laid out {name}'s Dockerfile into {plan.context(name)}")
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
