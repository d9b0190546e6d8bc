"""Which functions of a stack file the builder builds, and where their images go."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8s_cluster import stack
from k8s_cluster.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]


def test_the_projects_stack_builds_grayify_with_imagemagick() -> None:
    functions = {f.name: f for f in stack.functions(REPO / "stack.yml")}

    assert set(functions) == {"grayify", "thumbnail", "wordcount"}
    assert functions["grayify"].build_args == {"ADDITIONAL_PACKAGE": "imagemagick"}
    assert functions["grayify"].handler == REPO / "examples" / "grayify"


def test_unknown_names_and_foreign_languages_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "stack.yml").write_text(
        "functions:\n  go-fn:\n    lang: golang-http\n    handler: .\n    image: x\n"
    )

    with pytest.raises(ConfigError) as error:
        stack.functions(tmp_path / "stack.yml", only=["go-fn", "missing"])

    assert len(error.value.problems) == 2


@pytest.mark.parametrize(
    ("image", "pushed"),
    [
        ("oscar-examples/grayify:latest", "127.0.0.1:1/oscar-examples/grayify:latest"),
        ("grayify", "127.0.0.1:1/grayify"),
        ("ghcr.io/me/grayify:1", "127.0.0.1:1/me/grayify:1"),
        ("localhost:5000/grayify", "127.0.0.1:1/grayify"),
    ],
)
def test_an_image_keeps_its_path_in_the_registry_it_is_pushed_to(image: str, pushed: str) -> None:
    assert stack.pushed_name(image, "127.0.0.1:1") == pushed
