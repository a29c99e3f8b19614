"""``srcgrad graph``: box diagrams of the computation graph and its backward graph.

The DOT text is checked for the boxes a reader expects: one per primal
operation (labelled with the user's own expression), one per derivative
equation, the inputs and the partial derivatives.  Rendering runs Graphviz's
``dot`` when it is installed; a stand-in ``dot`` script checks the command
line srcgrad runs, and an empty PATH checks the message when it is missing.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import srcgrad
from srcgrad.graph import graph_dot

from .cli_samples import run_cli, write_sample


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample(tmp_path)


@pytest.fixture
def sample_module(sample):
    from srcgrad.targets import load_file
    return load_file(str(sample))


def clusters(dot: str) -> dict[str, str]:
    """The text of each top-level cluster, by name."""
    parts = re.split(r"\n  subgraph (cluster_\w+) \{\n", dot)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def labels(text: str) -> list[str]:
    return re.findall(r'\[label="((?:[^"\\]|\\.)*)"', text)


def test_forward_cluster_has_a_box_per_operation(sample_module):
    df = srcgrad.grad(sample_module.f, argnums=(0, 1))
    forward = clusters(graph_dot(df))["cluster_f"]
    names = labels(forward)
    assert "x" in names and "y" in names
    assert "z = x * y" in names                       # the user's own line, as a box
    assert any("math.log(z)" in n for n in names) and any("math.exp(z)" in n for n in names)
    assert any(n.startswith("f(x, y) = ") for n in names)
    boxes = forward.count("shape=box")
    assert boxes == len(df.primal_ir.body.eqns)


def test_backward_cluster_has_derivative_boxes_and_partials(sample_module):
    df = srcgrad.grad(sample_module.f, argnums=(0, 1))
    dot = graph_dot(df)
    backward = clusters(dot)["cluster_b"]
    names = labels(backward)
    assert any(n.startswith("dx = ") for n in names) and any(n.startswith("dy = ") for n in names)
    assert "dx" in names and "dy" in names            # the outputs
    assert "dir=back" in backward                     # arrows drawn right to left
    derivative_eqns = [e for e in df.fn_ir.body.eqns if e.role]
    assert backward.count("shape=box") == len(derivative_eqns)
    assert "backward graph: grad_f(x, y)" in dot and "computation graph: f(x, y)" in dot


def test_every_edge_joins_declared_nodes(sample_module):
    dot = graph_dot(srcgrad.grad(sample_module.g, argnums=(0, 1)))
    declared = set(re.findall(r"^\s*(\w+) \[label=", dot, flags=re.M))
    for src, dst in re.findall(r"^\s*(\w+) -> (\w+)", dot, flags=re.M):
        assert src in declared and dst in declared
    assert dot.count("{") == dot.count("}")


def test_cli_writes_dot(sample, tmp_path):
    out = tmp_path / "f.dot"
    status, _, err = run_cli("graph", "-o", str(out), f"{sample}:f", "--argnums", "0,1")
    assert status == 0, err
    assert out.read_text().startswith('digraph "f" {')


def test_cli_prints_dot_without_output_file(sample):
    status, out, _ = run_cli("graph", f"{sample}:f")
    assert status == 0 and out.startswith('digraph "f" {') and out.rstrip().endswith("}")


def test_cli_without_graphviz_writes_dot_and_exits_2(sample, tmp_path, monkeypatch):
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "f.svg"
    status, _, err = run_cli("graph", "-o", str(out), f"{sample}:f")
    assert status == 2
    assert "Graphviz" in err and "'dot'" in err and str(tmp_path / "f.dot") in err
    assert (tmp_path / "f.dot").exists() and not out.exists()


def test_cli_runs_dot_to_render(sample, tmp_path, monkeypatch):
    """A stand-in ``dot`` records its arguments and writes the output file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(f"#!{sys.executable}\nimport sys\nargs = sys.argv[1:]\n"
                    "open(args[args.index('-o') + 1], 'w').write('rendered ' + ' '.join(args))\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    out = tmp_path / "f.png"
    status, _, err = run_cli("graph", "-o", str(out), f"{sample}:f")
    assert status == 0, err
    dot_file = tmp_path / "f.dot"
    assert out.read_text() == f"rendered -Tpng {dot_file} -o {out}"
    assert dot_file.read_text().startswith("digraph")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_real_graphviz_renders_svg(sample, tmp_path):
    out = tmp_path / "g.svg"
    status, _, err = run_cli("graph", "-o", str(out), f"{sample}:g", "--argnums", "0,1")
    assert status == 0, err
    assert "<svg" in out.read_text()
    # and the DOT text is accepted as it is
    check = subprocess.run(["dot", "-Tsvg"], input=(tmp_path / "g.dot").read_text(),
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and not check.stderr


def test_cli_refuses_an_unknown_picture_format(sample, tmp_path):
    status, _, err = run_cli("graph", "-o", str(tmp_path / "f.jpg"), f"{sample}:f")
    assert status == 2 and ".svg" in err


def test_cli_graph_error_path(sample):
    status, _, err = run_cli("graph", f"{sample}:bad")
    assert status == 2 and "line" in err and "^" in err


def test_loops_are_drawn_as_nested_clusters(sample_module):
    dot = graph_dot(srcgrad.grad(sample_module.pendulum, argnums=(0, 1)))
    assert dot.count("subgraph cluster_") > 2          # the loop bodies, forward and backward
    assert any("math.sin(" in label for label in labels(clusters(dot)["cluster_f"]))
    if shutil.which("dot"):
        check = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
        assert check.returncode == 0 and not check.stderr
