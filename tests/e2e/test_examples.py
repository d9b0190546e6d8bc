"""The other examples of stack.yml, deployed with faas-cli from the repository's stack.yml:
thumbnail alone and chained after grayify, and wordcount (text in, text out)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from tests.e2e.imaging import is_grey, size
from tests.e2e.project import ExamplesProject, cli, object_exists
from tests.support.waiting import wait_for

TEXT = "the quick brown fox\njumps over the lazy dog\nthe dog sleeps\n"
# lines words bytes, then the five commonest words (ties alphabetically).
COUNTS = "3 12 59\n3 the\n2 dog\n1 brown\n1 fox\n1 jumps\n"


def test_an_image_put_into_grayify_ends_as_a_grey_thumbnail_in_the_same_folder(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    stack = examples.stack
    examples.deploy("grayify")
    examples.deploy("thumbnail")
    sample = examples.example("thumbnail", "samples", "balloon.png")
    assert size(sample) == (320, 200)
    assert not is_grey(sample)
    folder = f"chain-{uuid.uuid4().hex[:8]}"

    stack.minio.fput_object("grayify", f"in/{folder}/balloon.png", str(sample))

    thumb = f"out/{folder}/balloon.thumb.png"
    wait_for(
        lambda: object_exists(stack, "thumbnails", thumb),
        timeout=120,
        what=f"thumbnails/{thumb}, at the end of the chain",
    )
    local = tmp_path / "balloon.thumb.png"
    stack.minio.fget_object("thumbnails", thumb, str(local))
    assert size(local) == (64, 40), "bounded by 64x64, aspect ratio kept"
    assert is_grey(local)
    # The middle of the chain: grayify's full-size grey image, which was thumbnail's input.
    middle = tmp_path / "balloon.png"
    stack.minio.fget_object("grayify", f"out/{folder}/balloon.png", str(middle))
    assert size(middle) == (320, 200)
    assert is_grey(middle)
    # The output is uploaded before the job's callback arrives: wait for the job to finish.
    [job] = wait_for(
        lambda: [j for j in examples.succeeded_jobs("thumbnail") if folder in j["key"]],
        timeout=30,
        what="thumbnail's job to be recorded as succeeded",
    )
    assert (job["bucket"], job["key"]) == ("grayify", f"out/{folder}/balloon.png")
    assert job["outputs"] == [thumb]


def test_oscar_run_thumbnail_answers_with_a_thumbnail_of_the_sample(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    examples.deploy("thumbnail")
    sample = examples.example("thumbnail", "samples", "balloon.png")

    cli(examples.stack, "run", "thumbnail", str(sample), "-o", str(tmp_path))

    thumb = tmp_path / "balloon.thumb.png"
    assert size(thumb) == (64, 40)
    assert not is_grey(thumb), "on its own, thumbnail keeps the colours"


def test_oscar_run_wordcount_prints_the_counts_of_a_text(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    examples.deploy("wordcount")
    (tmp_path / "fox.txt").write_text(TEXT, encoding="utf-8")

    printed = cli(examples.stack, "run", "wordcount", str(tmp_path / "fox.txt"))

    assert printed == COUNTS


def test_wordcount_writes_the_counts_of_an_uploaded_text_under_its_output(
    examples: ExamplesProject, tmp_path: Path
) -> None:
    stack = examples.stack
    examples.deploy("wordcount")
    folder = f"notes-{uuid.uuid4().hex[:8]}"
    data = TEXT.encode()

    stack.minio.put_object("text", f"in/{folder}/fox.txt", io.BytesIO(data), len(data))

    counts = f"out/{folder}/fox.counts.txt"
    wait_for(lambda: object_exists(stack, "text", counts), timeout=60, what=f"text/{counts}")
    answer = stack.minio.get_object("text", counts)
    try:
        assert answer.read().decode() == COUNTS
    finally:
        answer.close()
        answer.release_conn()
