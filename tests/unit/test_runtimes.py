"""provider.runtimes: an image the local store never built runs on the base runtime, or is
refused with a 400 naming both ways out; the function's status says which."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provider.errors import ImageNotFound
from provider.images import ImageStore, canonical
from provider.runtimes import BASE_IMAGE, Runtimes
from tests.support.tools import ROOT


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """The python-watchdog template's Dockerfile, without requirements: a venv made in a second."""
    folder = tmp_path / "template"
    (folder / "function").mkdir(parents=True)
    shutil.copy2(ROOT / "templates" / "python-watchdog" / "Dockerfile", folder / "Dockerfile")
    (folder / "function" / "script.sh").write_text("echo the template's own\n")
    return folder


def test_an_unbuilt_image_runs_on_the_base_runtime_which_has_no_script_of_its_own(
    tmp_path: Path, template: Path
) -> None:
    store = ImageStore(tmp_path / "images")
    runtimes = Runtimes(store, allow_base=True, template=template)

    image = runtimes.image_for("ghcr.io/grycap/imagemagick")

    assert image.name == BASE_IMAGE
    assert image.env["fprocess"] == "python3 -m supervisor"  # the template's settings
    script = (image.context / "function" / "script.sh").read_text()
    assert "has no script of its own" in script
    assert runtimes.image_for("another/unbuilt:1") == image  # one base for all of them


def test_the_status_notice_names_the_unbuilt_image_and_says_nothing_of_a_built_one(
    tmp_path: Path, template: Path
) -> None:
    store = ImageStore(tmp_path / "images")
    runtimes = Runtimes(store, allow_base=True, template=template)
    store.materialise("mine:latest", template)

    notice = runtimes.notice("ghcr.io/grycap/imagemagick")

    assert notice is not None
    assert "'ghcr.io/grycap/imagemagick' was never built here" in notice
    assert "base runtime" in notice and "oscar build" in notice
    assert runtimes.notice("mine:latest") is None
    assert runtimes.image_for("mine:latest").name == "mine:latest"


def test_refusing_unbuilt_images_is_a_400_that_names_both_ways_out(
    tmp_path: Path, template: Path
) -> None:
    runtimes = Runtimes(ImageStore(tmp_path / "images"), allow_base=False, template=template)

    with pytest.raises(ImageNotFound) as refused:
        runtimes.image_for("ghcr.io/grycap/imagemagick")

    assert refused.value.status == 400
    message = str(refused.value)
    assert "OSCAR_UNBUILT_IMAGES=refuse" in message
    assert "oscar build -f stack.yml" in message
    assert "oscar up --unbuilt-images base" in message


def test_an_fprocess_runs_the_classic_way_on_the_base_runtime_and_as_fprocess_on_a_built_image(
    tmp_path: Path, template: Path
) -> None:
    store = ImageStore(tmp_path / "images")
    runtimes = Runtimes(store, allow_base=True, template=template)
    built = store.materialise("mine:latest", template)
    base = runtimes.image_for("functions/alpine:latest")

    assert runtimes.runnable(base, "sha512sum") == (base, {"CLASSIC_FPROCESS": "sha512sum"})
    assert runtimes.runnable(base, "") == (base, {})  # an FDL service: the supervisor's own
    assert runtimes.runnable(built, "sha512sum") == (built, {"fprocess": "sha512sum"})
    assert runtimes.runnable(built, "") == (built, {})


def test_a_classic_watchdog_dockerfile_that_only_sets_fprocess_runs_the_classic_way(
    tmp_path: Path, template: Path
) -> None:
    store = ImageStore(tmp_path / "images")
    runtimes = Runtimes(store, allow_base=True, template=template)
    context = tmp_path / "classic"
    context.mkdir()
    (context / "Dockerfile").write_text(
        "FROM ghcr.io/openfaas/classic-watchdog:0.3.1 AS watchdog\n"
        "FROM alpine:3.20\n"
        "COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog\n"
        'ENV fprocess="sha512sum"\n'
        'ENV GREETING="hello"\n'
        'CMD ["fwatchdog"]\n'
    )
    built = store.materialise("classic:latest", context)

    image, env = runtimes.runnable(built, "")

    assert image.name == BASE_IMAGE
    assert env == {
        "CLASSIC_FPROCESS": "sha512sum",
        "GREETING": "hello",
        "CLASSIC_WORKDIR": str(built.context),  # its own files, where its fprocess finds them
    }
    assert runtimes.runnable(built, "cat")[1]["CLASSIC_FPROCESS"] == "cat"  # deploy's wins


def test_an_image_name_without_a_tag_is_the_same_image_as_its_latest(tmp_path: Path) -> None:
    store = ImageStore(tmp_path / "images")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text('FROM alpine\nENV fprocess="cat"\n')

    store.materialise("oscar-tests/cat:latest", context)

    assert store.holds("oscar-tests/cat") and store.get("oscar-tests/cat").env["fprocess"] == "cat"
    assert not store.holds("oscar-tests/cat:v2")
    assert canonical("registry:5000/team/cat") == "registry:5000/team/cat:latest"
    assert canonical("cat@sha256:abc") == "cat@sha256:abc"
