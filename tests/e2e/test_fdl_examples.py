"""examples/fdl/: OSCAR-style FDL files, applied unchanged with `oscar apply`.

Their images (`ghcr.io/grycap/imagemagick`, `python:3.12-slim`) were never built on the local
engine, so their scripts run on the built-in base runtime, which `oscar apply` and the service's
status say. Both of OSCAR's layouts: oscar-cli's `functions: oscar: - <cluster>: {...}` (grayify,
the chain) and one plain service document (csv-stats).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.imaging import is_grey, size
from tests.e2e.project import ExamplesProject, cli, object_exists
from tests.support.tools import ROOT
from tests.support.waiting import wait_for

FDL = ROOT / "examples" / "fdl"


def applied(examples: ExamplesProject, fdl: Path, *names: str) -> str:
    """`oscar apply FDL`; its output with white space joined (the console wraps long lines)."""
    printed = " ".join(cli(examples.stack, "apply", str(fdl)).split())
    for name in names:
        assert f"created {name}" in printed
        examples.stack.wait_available(name, 1, timeout=120)
    return printed


def output_of(examples: ExamplesProject, bucket: str, key: str, local: Path) -> Path:
    stack = examples.stack
    wait_for(lambda: object_exists(stack, bucket, key), timeout=120, what=f"{bucket}/{key}")
    stack.minio.fget_object(bucket, key, str(local))
    return local


def test_oscars_grayify_fdl_runs_unchanged_on_the_base_runtime_and_says_so(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    printed = applied(examples, FDL / "grayify" / "grayify.yaml", "oscar-grayify")
    sample = examples.example("grayify", "samples", "sunset.png")

    examples.stack.minio.fput_object("oscar-grayify", "input/sunset.png", str(sample))

    grey = output_of(examples, "oscar-grayify", "output/sunset.png", tmp_path / "sunset.png")
    assert is_grey(grey)
    assert size(grey) == size(sample)
    assert "note: image 'ghcr.io/grycap/imagemagick:latest' was never built here" in printed
    assert "base runtime" in printed
    service = examples.service("oscar-grayify")
    assert service is not None and "built-in base runtime" in service["notice"]
    assert service["image"] == "ghcr.io/grycap/imagemagick:latest"  # faas-cli's tag


def test_a_python_service_as_one_plain_fdl_document_writes_its_statistics(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    applied(examples, FDL / "csv-stats" / "service.yaml", "csv-stats")

    examples.stack.minio.fput_object(
        "csv-stats", "in/weather.csv", str(FDL / "csv-stats" / "weather.csv")
    )

    stats = output_of(examples, "csv-stats", "out/weather.stats.json", tmp_path / "stats.json")
    numbers = json.loads(stats.read_text())
    assert sorted(numbers) == ["rain", "temperature"]  # `city` is not numeric
    assert numbers["temperature"] == {"count": 3, "mean": 14.83, "min": 4.0, "max": 21.5}


def test_oscar_run_on_an_fdl_service_sends_and_gets_raw_bytes_not_oscars_base64(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    if examples.service("csv-stats") is None:
        applied(examples, FDL / "csv-stats" / "service.yaml", "csv-stats")

    cli(
        examples.stack,
        "run",
        "csv-stats",
        str(FDL / "csv-stats" / "weather.csv"),
        "-o",
        str(tmp_path),
    )

    numbers = json.loads((tmp_path / "weather.stats.json").read_text())
    assert numbers["rain"]["max"] == 3.1


def test_the_two_stage_fdl_chain_turns_a_photo_into_a_grey_thumbnail(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    applied(examples, FDL / "chain" / "chain.yaml", "chain-grey", "chain-thumb")
    sample = examples.example("thumbnail", "samples", "balloon.png")

    examples.stack.minio.fput_object("chain", "photos/party/balloon.png", str(sample))

    thumb = output_of(examples, "chain-thumbs", "out/party/balloon.png", tmp_path / "thumb.png")
    assert size(thumb) == (64, 40)
    assert is_grey(thumb)
    middle = output_of(examples, "chain", "grey/party/balloon.png", tmp_path / "grey.png")
    assert size(middle) == (320, 200)


def test_a_stack_that_refuses_unbuilt_images_answers_422_naming_the_fix_never_502(
    examples: ExamplesProject,
) -> None:
    stack = examples.stack
    service = {
        "name": "refused-grayify",
        "image": "ghcr.io/grycap/imagemagick",
        "script": "#!/bin/sh\necho never runs\n",
        "input": [{"storage_provider": "minio.default", "path": "refused/in"}],
    }
    stack.stop_component("provider")
    try:
        stack.restart_component("provider", {"OSCAR_UNBUILT_IMAGES": "refuse"})

        answer = stack.gateway.post(
            f"{stack.gateway_url}/system/services", json=service, timeout=120
        )
    finally:  # the other tests of this stack run unbuilt images on the base runtime
        stack.stop_component("provider")
        stack.restart_component("provider")

    assert answer.status_code == 422, answer.text
    reason = answer.json()["error"]
    assert reason.startswith("OpenFaaS refused the deployment (HTTP 400): image ")
    assert "OSCAR_UNBUILT_IMAGES=refuse" in reason
    assert "`oscar build -f stack.yml`" in reason
    assert "`oscar up --unbuilt-images base`" in reason
