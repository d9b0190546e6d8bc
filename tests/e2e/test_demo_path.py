"""The README's demo, step by step, on a fresh stack: `oscar build`, `faas-cli deploy` of
grayify, the sample images put into grayify/in, grey images out, one synchronous call."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.e2e.imaging import image_format, is_grey, size
from tests.e2e.project import ExamplesProject, cli
from tests.support.waiting import wait_for

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_sample_images_put_into_grayify_come_out_grey_in_the_same_folder(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    stack = examples.stack
    samples = sorted(examples.example("grayify", "samples").iterdir())
    assert [s.name for s in samples] == ["plasma.jpg", "sunset.png"]
    assert not any(is_grey(s) for s in samples), "the samples must be in colour to prove anything"
    examples.deploy("grayify")

    # `oscar put FOLDER grayify/in` keeps the folder's name: grayify/in/samples/<each>.
    cli(stack, "put", str(examples.example("grayify", "samples")), "grayify/in")
    expected = {f"out/samples/{s.name}" for s in samples}

    def finished() -> list[str] | None:
        jobs = examples.succeeded_jobs("grayify")
        outputs = [k for j in jobs if j["key"].startswith("in/samples/") for k in j["outputs"]]
        return outputs if expected <= set(outputs) else None

    outputs = wait_for(finished, timeout=90, what="grayify's jobs for both samples")
    assert sorted(outputs) == sorted(expected), "one job and one output per sample"
    for sample in samples:
        local = tmp_path / sample.name
        stack.minio.fget_object("grayify", f"out/samples/{sample.name}", str(local))
        assert is_grey(local), f"grayify/out/samples/{sample.name} is not grey"
        assert size(local) == size(sample)
        assert image_format(local) == image_format(sample)


def test_a_synchronous_call_to_grayify_answers_with_a_grey_png(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    stack = examples.stack
    examples.deploy("grayify")
    service = examples.service("grayify")
    assert service is not None
    sample = examples.example("grayify", "samples", "sunset.png")

    answer = requests.post(
        f"{stack.gateway_url}/run/grayify",
        data=sample.read_bytes(),
        headers={"Authorization": f"Bearer {service['token']}", "X-Filename": sample.name},
        timeout=60,
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.content.startswith(PNG_MAGIC)
    grey = tmp_path / "grey.png"
    grey.write_bytes(answer.content)
    assert is_grey(grey)
    assert size(grey) == size(sample)
