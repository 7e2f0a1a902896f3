"""Results from Python equal the CLI's JSON for the same inputs, and read as
plain objects with units."""

import concurrent.futures
import json

import pytest

import tensorfab


def test_evaluate_equals_cli_json(cli, cli_json):
    r = tensorfab.evaluate("h100-sxm", "llama-3.1-8b")
    assert r.to_dict() == cli_json("eval", "--chip", "h100-sxm", "--model", "llama-3.1-8b")
    # The text too, byte for byte.
    code, out, _ = cli("eval", "--chip", "h100-sxm", "--model", "llama-3.1-8b", "--format", "json")
    assert code == 0 and r.to_json() == out


def test_evaluate_with_overrides_tier_and_ops_equals_cli(cli_json):
    r = tensorfab.evaluate("seed-2nm", "llama-3.1-70b", "serve-continuous", tier="roofline", sweep=True,
                           set={"chip.tdp": "800 W", "scenario.batch": 8})
    expected = cli_json("eval", "--chip", "seed-2nm", "--model", "llama-3.1-70b", "--scenario", "serve-continuous",
                        "--tier", "roofline", "--sweep", "--set", "chip.tdp=800 W", "--set", "scenario.batch=8",
                        "--ops")
    assert r.to_dict(ops=True) == expected
    assert r.chip.tdp.value == 800
    assert r.throughput_vs_batch, "the batch sweep was asked for"


def test_study_equals_cli_json(cli_json):
    assert tensorfab.study().to_dict() == cli_json("study")
    chips = ["b200", "mi355x", "tpu-v7"]
    r = tensorfab.study(chips, "llama-3.1-8b", datacenter="industry-average")
    assert r.to_dict() == cli_json("study", "--chips", ",".join(chips), "--model", "llama-3.1-8b",
                                   "--datacenter", "industry-average")
    assert [c.id for c in r.chips] == chips


def test_train_equals_cli_json(cli_json):
    r = tensorfab.train("a100-sxm-80gb", "megatron-175b", system="selene", tokens=1e9)
    assert r.to_dict() == cli_json("train", "--chip", "a100-sxm-80gb", "--model", "megatron-175b", "--system",
                                   "selene", "--tokens", "1e9")


def test_documents_equal_cli_json(cli_json):
    assert tensorfab.chip("b200").to_dict() == cli_json("show", "chip", "b200")
    assert tensorfab.physical("h100-sxm").to_dict() == cli_json("show", "chip", "h100-sxm", "--physical")
    assert tensorfab.model("deepseek-v3", "serve-default", "h200").to_dict() == cli_json(
        "show", "model", "deepseek-v3", "--scenario", "serve-default", "--chip", "h200")
    assert tensorfab.node("tsmc-n5", "800 mm^2").to_dict() == cli_json("show", "node", "tsmc-n5", "--die-area",
                                                                         "800 mm^2")
    assert tensorfab.validate().to_dict() == cli_json("validate")
    assert tensorfab.validate_physical().to_dict() == cli_json("validate", "--physical")


def test_dict_inputs_equal_files(tmp_path, cli_json):
    chip = tmp_path / "my-h100.yaml"
    chip.write_text("preset: h100-sxm\ntdp: 800 W\nmemory:\n  stacks: 6\n")
    scenario = tmp_path / "short.yaml"
    scenario.write_text("serve:\n  batch: 4\n  prompt_length: 512\n  output_length: 64\n")
    from_files = cli_json("eval", "--chip", chip, "--model", "llama-3.1-8b", "--scenario", scenario)
    r = tensorfab.evaluate({"id": "my-h100", "preset": "h100-sxm", "tdp": "800 W", "memory": {"stacks": 6}},
                           "llama-3.1-8b", {"id": "short", "serve": {"batch": 4, "prompt_length": 512, "output_length": 64}})
    assert r.to_dict() == from_files
    # A model given as its config.json dict.
    with open(tensorfab.Catalog().root + "/models/llama-3.1-8b.json") as f:
        config = json.load(f)
    by_dict = tensorfab.evaluate("h100-sxm", {"id": "llama-3.1-8b", **config})
    assert by_dict.to_dict() == tensorfab.evaluate("h100-sxm", "llama-3.1-8b").to_dict()


def test_quantities_carry_units():
    r = tensorfab.evaluate("h100-sxm", "llama-3.1-8b")
    tpot = r.result.time_per_output_token
    assert isinstance(tpot, tensorfab.Quantity) and tpot.unit == "s"
    assert tpot.to("ms") == pytest.approx(tpot.value * 1e3)
    assert r.chip.memory.bandwidth_per_stack.to("TB/s") == pytest.approx(0.67)
    assert r.chip.memory.capacity_per_stack.to("GiB") == pytest.approx(16)
    assert float(r.chip.tdp) == 700
    with pytest.raises(tensorfab.InputError, match="a time"):
        tpot.to("GB")
    assert r.result.memory.fits is True and isinstance(r.result.memory.max_batch, int)
    with pytest.raises(AttributeError, match="did you mean 'time_to_first_token'"):
        r.result.time_to_first_tokn
    assert r["result"]["chip"] == "h100-sxm"


def test_to_pandas():
    pandas = pytest.importorskip("pandas")  # Debian's python3-pandas; CI installs it
    r = tensorfab.study(["h100-sxm", "b200"], "llama-3.1-8b")
    frame = r.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["chip"]) == ["h100-sxm", "b200"]
    assert list(frame["time_to_first_token [s]"]) == [x.result.time_to_first_token.value
                                                      for x in (tensorfab.evaluate(c, "llama-3.1-8b")
                                                                for c in ("h100-sxm", "b200"))]
    assert "cost.power.average [W]" in frame.columns
    assert len(tensorfab.validate().to_pandas()) > 10


def test_threads_give_the_same_results():
    # Evaluations release the GIL: several threads at once, each result as
    # the same call alone gives it.
    chips = ["h100-sxm", "b200", "seed-2nm", "mi355x", "tpu-v7", "trn2"] * 2
    alone = [tensorfab.evaluate(c, "llama-3.1-70b").to_json() for c in chips]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda c: tensorfab.evaluate(c, "llama-3.1-70b").to_json(), chips))
    assert together == alone


def test_catalog_of_another_folder(tmp_path, data):
    (tmp_path / "chips").mkdir()
    (tmp_path / "chips" / "only.yaml").write_text(open(data + "/chips/h100-sxm.yaml").read())
    catalog = tensorfab.Catalog(tmp_path)
    assert catalog.list("chips") == ["only"]
    assert catalog.root == str(tmp_path)
    remembering = tensorfab.Catalog(remember=True)
    assert remembering.evaluate("h100-sxm", "llama-3.1-8b").to_dict() == \
        tensorfab.evaluate("h100-sxm", "llama-3.1-8b").to_dict()
