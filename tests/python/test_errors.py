"""Bad input raises tensorfab.InputError carrying each problem's file,
line and key path, with the CLI's text."""

import pytest

import tensorfab


def test_file_error_has_location_and_cli_text(tmp_path, cli):
    chip = tmp_path / "typo.yaml"
    chip.write_text("preset: h100-sxm\ntdpp: 800 W\nmemory:\n  stakcs: 6\n")
    with pytest.raises(tensorfab.InputError) as raised:
        tensorfab.evaluate(chip, "llama-3.1-8b")
    e = raised.value
    assert sorted((d.file, d.line, d.key_path) for d in e.diagnostics) == [(str(chip), 2, "tdpp"),
                                                                      (str(chip), 4, "memory.stakcs")]
    typo = next(d for d in e.diagnostics if d.key_path == "tdpp")
    assert (typo.line, typo.column) == (2, 1) and "did you mean 'tdp'?" in typo.notes
    assert (e.file, e.line, e.key_path) == (e.diagnostics[0].file, e.diagnostics[0].line, e.diagnostics[0].key_path)
    code, _, err = cli("eval", "--chip", chip, "--model", "llama-3.1-8b")
    assert code == 2 and str(e) + "\n" == err


def test_dict_error_names_the_dict_and_key_path():
    with pytest.raises(tensorfab.InputError) as raised:
        tensorfab.evaluate({"id": "mine", "preset": "h100-sxm", "memory": {"stacks": "six"}}, "llama-3.1-8b")
    e = raised.value
    assert e.file == "<chip dict 'mine'>" and e.line == 0
    assert e.key_path == "memory.stacks"
    assert "'six'" in e.message or "six" in e.message


def test_unknown_id_suggests():
    with pytest.raises(tensorfab.InputError) as raised:
        tensorfab.evaluate("h100-sxn", "llama-3.1-8b")
    assert "unknown chip 'h100-sxn'" in raised.value.message
    assert "did you mean 'h100-sxm'?" in raised.value.diagnostics[0].notes


def test_bad_override_names_its_origin():
    with pytest.raises(tensorfab.InputError) as raised:
        tensorfab.evaluate("h100-sxm", "llama-3.1-8b", set={"chip.tdp": "800 V"})
    assert raised.value.file == "set['chip.tdp']"
    assert raised.value.key_path == "tdp"


def test_bad_arguments():
    with pytest.raises(tensorfab.InputError, match="unknown tier 'tiles'") as raised:
        tensorfab.evaluate("h100-sxm", "llama-3.1-8b", tier="tiles")
    assert raised.value.key_path == "tier"
    with pytest.raises(tensorfab.InputError, match="did you mean 'chips'"):
        tensorfab.list("chipz")
    with pytest.raises(tensorfab.InputError, match="expected text, a number, a list or a dict, got object") as r:
        tensorfab.evaluate({"preset": "h100-sxm", "tdp": object()}, "llama-3.1-8b")
    assert r.value.key_path == "tdp"
    with pytest.raises(tensorfab.InputError, match="keys are text"):
        tensorfab.evaluate({"preset": "h100-sxm", 3: 4}, "llama-3.1-8b")
    with pytest.raises(tensorfab.InputError, match="positive number of tokens"):
        tensorfab.train("a100-sxm-80gb", "megatron-175b", tokens=float("nan"))
    with pytest.raises(tensorfab.InputError, match="a sweep given as a dict needs out="):
        tensorfab.sweep({"name": "x"})


def test_not_a_number_never_gets_in():
    with pytest.raises(tensorfab.InputError, match="not a finite number"):
        tensorfab.evaluate({"preset": "h100-sxm", "tdp": tensorfab.Quantity(float("nan"), "W")}, "llama-3.1-8b")
    with pytest.raises(tensorfab.InputError):
        tensorfab.evaluate("h100-sxm", "llama-3.1-8b", set={"scenario.batch": float("inf")})


def test_check_reports_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("preset: h100-sxm\ntdp: 700\nmemroy: {}\n")
    with pytest.raises(tensorfab.InputError) as raised:
        tensorfab.check(bad)
    assert {d.key_path for d in raised.value.diagnostics} == {"tdp", "memroy"}
    tensorfab.check(tensorfab.Catalog().root + "/chips/h100-sxm.yaml")  # no problem, no exception


def test_input_error_is_a_value_error():
    assert issubclass(tensorfab.InputError, ValueError)
    assert issubclass(tensorfab.RunError, RuntimeError)
