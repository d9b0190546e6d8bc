"""`oscar services`, `apply` and `delete` against the fake gateway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import Oscar, fails
from tests.unit.cli.fake_gateway import Answer, FakeGateway, service

OSCAR_FDL = """\
functions:
  oscar:
  - local-cluster:
      name: grayify
      memory: 1Gi
      cpu: '0.5'
      image: ghcr.io/grycap/imagemagick
      script: script.sh
      input:
      - storage_provider: minio.default
        path: grayify/in
      output:
      - storage_provider: minio.default
        path: grayify/out
  - local-cluster:
      name: thumbs
      script: echo hi > "$TMP_OUTPUT_DIR/out.txt"
      input:
      - {storage_provider: minio.default, path: thumbs/in}
"""


def test_services_lists_name_input_output_suffixes_attempts_and_concurrency(
    oscar: Oscar, stack: Path, fake: FakeGateway
) -> None:
    fake.services["grayify"] = service("grayify")
    result = oscar("services")
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()[:2]
    assert header.split() == ["name", "input", "output", "suffixes", "attempts", "concurrency"]
    assert row.split() == ["grayify", "grayify/in", "grayify/out", ".png", "3", "4"]
    assert "token-of-grayify" not in result.output


def test_services_show_tokens_adds_each_service_token(
    oscar: Oscar, stack: Path, fake: FakeGateway
) -> None:
    fake.services["grayify"] = service("grayify")
    result = oscar("services", "--show-tokens")
    assert result.exit_code == 0, result.output
    assert "token-of-grayify" in result.stdout


def test_services_json_is_the_gateway_listing_without_tokens_unless_asked(
    oscar: Oscar, stack: Path, fake: FakeGateway
) -> None:
    fake.services["grayify"] = service("grayify")
    listed = json.loads(oscar("services", "--json").stdout)
    assert listed == [{k: v for k, v in service("grayify").items() if k != "token"}]
    with_tokens = json.loads(oscar("services", "--json", "--show-tokens").stdout)
    assert with_tokens[0]["token"] == "token-of-grayify"


def test_apply_posts_each_service_of_an_oscar_fdl_with_its_script_content(
    oscar: Oscar, stack: Path, fake: FakeGateway, tmp_path: Path
) -> None:
    (tmp_path / "script.sh").write_text("#!/bin/sh\nconvert in out\n", encoding="utf-8")
    (tmp_path / "services.yml").write_text(OSCAR_FDL, encoding="utf-8")
    result = oscar("apply", "services.yml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["created grayify", "created thumbs"]
    posted = [json.loads(r.body) for r in fake.requests if r.method == "POST"]
    assert [p["name"] for p in posted] == ["grayify", "thumbs"]
    assert posted[0]["script"] == "#!/bin/sh\nconvert in out\n"
    assert posted[0]["input"] == [{"storage_provider": "minio.default", "path": "grayify/in"}]
    assert posted[1]["script"] == 'echo hi > "$TMP_OUTPUT_DIR/out.txt"'


def test_apply_prints_the_gateways_notice_about_a_service(
    oscar: Oscar, stack: Path, fake: FakeGateway, tmp_path: Path
) -> None:
    notice = "image 'ghcr.io/grycap/imagemagick:latest' was never built here: base runtime"
    fake.apply_answer = Answer(201, json.dumps(service("grayify", notice=notice)).encode())
    (tmp_path / "one.yml").write_text("name: grayify\ninput: [{path: a/b}]\n", encoding="utf-8")

    result = oscar("apply", "one.yml")

    assert result.exit_code == 0, result.output
    assert " ".join(result.stdout.split()) == f"created grayify note: {notice}"


def test_apply_updates_a_service_that_exists(
    oscar: Oscar, stack: Path, fake: FakeGateway, tmp_path: Path
) -> None:
    fake.services["grayify"] = service("grayify")
    (tmp_path / "one.yml").write_text("name: grayify\ninput: [{path: a/b}]\n", encoding="utf-8")
    result = oscar("apply", "one.yml")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "updated grayify"
    assert [r.method for r in fake.requests] == ["POST", "PUT"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("single.yaml", "name: a\ninput: [{path: a/in}]\n"),
        ("list.yml", "- {name: a, input: [{path: a/in}]}\n- {name: b}\n"),
        ("list.json", '[{"name": "a"}, {"name": "b"}]'),
        ("oscar.json", '{"functions": {"oscar": [{"c": {"name": "a"}}, {"c": {"name": "b"}}]}}'),
        ("docs.yml", "name: a\n---\nname: b\n"),
    ],
)
def test_apply_reads_one_mapping_a_list_oscar_files_and_json(
    oscar: Oscar, stack: Path, fake: FakeGateway, tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = oscar("apply", name)
    assert result.exit_code == 0, result.output
    expected = ["a"] if name.startswith("single") else ["a", "b"]
    assert [json.loads(r.body)["name"] for r in fake.requests] == expected


def test_apply_dry_run_checks_the_file_and_needs_no_stack(oscar: Oscar, tmp_path: Path) -> None:
    (tmp_path / "one.yml").write_text("name: grayify\ninput: [{path: a/b}]\n", encoding="utf-8")
    result = oscar("apply", "one.yml", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would apply grayify" in result.stdout


@pytest.mark.parametrize(
    ("name", "text", "phrases"),
    [
        ("bad.yml", "name: a\n  input: [\n", ("bad.yml", "not valid YAML", "line 2")),
        ("bad.json", '{"name": "a",}', ("bad.json", "not valid JSON", "line 1")),
        ("shape.yml", "hello: world\n", ("shape.yml", "expected `functions:", "hello")),
        ("scalar.yml", "just text\n", ("scalar.yml", "found a str")),
        ("empty.yml", "", ("empty.yml", "no services")),
        ("noname.yml", "- {input: x}\n", ("noname.yml", "[0]", "no `name`")),
        ("upper.yml", "name: GrayIfy\n", ("upper.yml", "lowercase")),
        ("twice.yml", "- {name: a}\n- {name: a}\n", ("twice.yml", "defined twice")),
        ("nocluster.yml", "functions: {oscar: {a: 1}}\n", ("nocluster.yml", "functions")),
        ("noscript.yml", "name: a\nscript: missing.sh\n", ("noscript.yml", "missing.sh")),
    ],
)
def test_apply_malformed_fdl_exits_2_naming_the_file_and_problem(
    oscar: Oscar, tmp_path: Path, name: str, text: str, phrases: tuple[str, ...]
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    fails(oscar("apply", name), 2, *phrases)


def test_apply_of_a_missing_file_exits_2(oscar: Oscar) -> None:
    fails(oscar("apply", "nowhere.yml"), 2, "nowhere.yml", "does not exist")


def test_apply_a_definition_the_gateway_refuses_exits_2_naming_the_file(
    oscar: Oscar, stack: Path, fake: FakeGateway, tmp_path: Path
) -> None:
    fake.apply_answer = Answer(
        422, b'{"error": "output a/in overlaps input a/in"}', {"Content-Type": "application/json"}
    )
    (tmp_path / "loop.yml").write_text("name: a\n", encoding="utf-8")
    fails(oscar("apply", "loop.yml"), 2, "loop.yml", "creating service a", "overlaps input")


def test_delete_removes_each_named_service(oscar: Oscar, stack: Path, fake: FakeGateway) -> None:
    fake.services.update({"a": service("a"), "b": service("b")})
    result = oscar("delete", "a", "b")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["deleted a", "deleted b"]
    assert fake.services == {}


def test_delete_of_an_unknown_service_exits_4_pointing_at_services(
    oscar: Oscar, stack: Path
) -> None:
    fails(oscar("delete", "ghost"), 4, "service ghost does not exist", "`oscar services`")


def test_delete_goes_on_past_an_unknown_service_and_exits_4(
    oscar: Oscar, stack: Path, fake: FakeGateway
) -> None:
    fake.services["a"] = service("a")
    result = fails(oscar("delete", "ghost", "a"), 4, "service ghost does not exist")
    assert result
    assert fake.services == {}


def test_apply_to_a_gateway_without_the_service_api_says_so(
    oscar: Oscar, stack: Path, fake: FakeGateway, tmp_path: Path
) -> None:
    fake.apply_answer = Answer(405, b'{"error": "method not allowed"}')
    (tmp_path / "one.yml").write_text("name: a\n", encoding="utf-8")
    fails(oscar("apply", "one.yml"), 1, "cannot create services", "HTTP 405", "faas-cli deploy")
