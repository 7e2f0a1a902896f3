"""The virtual prototype from Python gives the CLI's programs, values and
documents."""

import json
import random

import pytest

import tensorfab
from tensorfab import vp


def test_assemble_equals_cli_image(tmp_path, cli, data):
    source = data + "/programs/gemm-tile.s"
    code, _, err = cli("vp", "asm", source, "-o", tmp_path / "tile.bin", "--chip", "seed-2nm")
    assert code == 0, err
    with open(source) as f:
        program = vp.assemble(f.read(), chip="seed-2nm")
    assert program.image == (tmp_path / "tile.bin").read_bytes()
    code, text, _ = cli("vp", "disasm", tmp_path / "tile.bin")
    assert vp.assemble(program.image).text == text  # an image's labels are numbered, L8
    assert "next:" in program.text  # the text's keep their names
    import pathlib
    assert vp.assemble(pathlib.Path(source)).image == program.image  # and from the file


def test_gemm_values_equal_cli(tmp_path, cli):
    m, n, k = 64, 48, 96
    gemm = vp.compile_gemm(m, n, k)
    code, _, err = cli("vp", "compile", "gemm", "--m", m, "--n", n, "--k", k, "-o", tmp_path / "g.s")
    assert code == 0, err
    assert gemm.text in (tmp_path / "g.s").read_text()  # the CLI's adds a header comment
    rng = random.Random(7)
    # BF16 values in [-2, 2): the top halves of FP32 patterns, little-endian.
    a = bytes(rng.randrange(256) if i % 2 else rng.choice([0x3f, 0xbf, 0x40, 0xc0]) for i in range(2 * m * k))
    b = bytes(rng.randrange(256) if i % 2 else rng.choice([0x3f, 0xbf, 0x40, 0xc0]) for i in range(2 * n * k))
    (tmp_path / "a.bin").write_bytes(a)
    (tmp_path / "b.bin").write_bytes(b)
    lay = gemm.layout
    c_bytes = 2 * m * n
    code, _, err = cli("vp", "run", tmp_path / "g.s", "--load", f"{lay['a']}=" + str(tmp_path / "a.bin"),
                       "--load", f"{lay['b']}=" + str(tmp_path / "b.bin"),
                       "--dump", f"{lay['c']}:{c_bytes}=" + str(tmp_path / "c.bin"))
    assert code == 0, err
    run = vp.run(gemm, loads={lay["a"]: a, lay["b"]: bytearray(b)}, dumps={lay["c"]: c_bytes})
    assert run.dumps[0] == (tmp_path / "c.bin").read_bytes()
    assert any(run.dumps[0])
    assert run.macs == m * n * k and run.cycles > 0 and run.time.unit == "s"
    timed = vp.run(gemm, timing_only=True, trace=True)
    assert timed.cycles == run.cycles and timed.trace["traceEvents"]


def test_numerics_equals_cli_json(cli_json):
    formats = ["bf16/bf16", "mxfp4/bf16"]
    assert vp.numerics(formats=formats).to_dict() == cli_json("numerics", "--formats", ",".join(formats))


def test_vp_errors():
    with pytest.raises(tensorfab.InputError) as raised:
        vp.assemble("halt\nfrobnicate r1\n")
    assert raised.value.file == "<assembly>" and raised.value.line == 2
    with pytest.raises(tensorfab.InputError) as raised:
        vp.compile_gemm(0, 16, 16)
    assert raised.value.key_path == "m"
    with pytest.raises(tensorfab.InputError, match="pass the end of HBM") as raised:
        vp.run("halt\n", loads={1 << 50: b"x"})
    assert raised.value.key_path == "load"
    with pytest.raises(tensorfab.InputError) as raised:
        vp.numerics(formats=["bf16/bf17"])
    assert raised.value.key_path == "formats"
