"""The cluster's cgroup root, on a fake cgroup v1 tree: made in every hierarchy, found, removed."""

from __future__ import annotations

from pathlib import Path

from k8s_cluster import cgroups


def _v1_tree(root: Path) -> Path:
    for controller in ("cpuset", "memory", "pids"):
        (root / controller).mkdir(parents=True)
    (root / "cpuset" / "cpuset.cpus").write_text("0-1\n")
    (root / "cpuset" / "cpuset.mems").write_text("0\n")
    (root / "cpu,cpuacct").symlink_to(root / "memory")  # v1 links combined controllers
    return root


def test_the_root_is_made_in_each_hierarchy_and_cpuset_inherits_its_parents_cpus(
    tmp_path: Path,
) -> None:
    root = _v1_tree(tmp_path)
    (root / "cpuset" / "demo").mkdir()  # the kernel makes the files; a folder stands in
    (root / "cpuset" / "demo" / "cpuset.cpus").write_text("\n")
    (root / "cpuset" / "demo" / "cpuset.mems").write_text("\n")

    cgroups.create("demo", root)

    assert sorted(p.parent.name for p in cgroups.remaining("demo", root)) == [
        "cpuset", "memory", "pids",
    ]  # fmt: skip
    assert (root / "cpuset" / "demo" / "cpuset.cpus").read_text() == "0-1\n"


def test_processes_are_found_anywhere_below_the_root(tmp_path: Path) -> None:
    root = _v1_tree(tmp_path)
    pod = root / "pids" / "demo" / "kubepods" / "pod1"
    pod.mkdir(parents=True)
    (pod / "cgroup.procs").write_text("41\n42\n")
    (root / "pids" / "other").mkdir()
    (root / "pids" / "other" / "cgroup.procs").write_text("7\n")

    assert cgroups.processes("demo", root) == [41, 42]


def test_remove_takes_the_deepest_first_and_leaves_other_cgroups(tmp_path: Path) -> None:
    root = _v1_tree(tmp_path)
    (root / "memory" / "demo" / "kubepods" / "besteffort").mkdir(parents=True)
    (root / "memory" / "other").mkdir()

    assert cgroups.remove("demo", root) == []
    assert cgroups.remaining("demo", root) == []
    assert (root / "memory" / "other").is_dir()
