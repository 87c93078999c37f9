"""The description cache: a repeat is answered from disk; any change that matters to the segment misses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference.describe import DescribeInput, DescriptionCache, OfflineDescriber, cache_key, describe_cached
from inference.describe.base import Describer, Description
from inference.segments import Segment

from describe_support import clip


class CountingDescriber(Describer):
    """A real backend wrapped to count how often it actually runs."""

    def __init__(self, inner: Describer) -> None:
        self.inner, self.calls = inner, 0

    @property
    def backend_id(self) -> str:
        return self.inner.backend_id

    def describe(self, inp: DescribeInput) -> Description:
        self.calls += 1
        return self.inner.describe(inp)


@pytest.fixture(scope="module")
def offline() -> OfflineDescriber:
    return OfflineDescriber()


def test_repeat_is_a_cache_hit_that_survives_a_new_process(tmp_path: Path, offline: OfflineDescriber) -> None:
    recon = clip("handshake", 0).reconstruction
    inp = DescribeInput(recon, Segment(40, 80))
    counting = CountingDescriber(offline)
    first = describe_cached(counting, inp, DescriptionCache(tmp_path))
    again = describe_cached(counting, inp, DescriptionCache(tmp_path))  # a fresh cache object: read from disk
    assert counting.calls == 1 and not first.cached and again.cached
    assert (again.text, again.author, again.details) == (first.text, first.author, first.details)
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_key_depends_on_range_motion_inside_and_backend(offline: OfflineDescriber) -> None:
    recon = clip("hug", 0).reconstruction
    seg = Segment(40, 80)
    key = cache_key(offline.backend_id, DescribeInput(recon, seg))
    a, b = recon.people
    outside = recon.replace_people(a.with_frames(0, a.slice(90, 100)), b)
    inside_pose = a.slice(50, 51).copy()  # slices are views of the shared clip
    inside_pose.body_pose[:] += np.float32(0.01)
    inside = recon.replace_people(a.with_frames(50, inside_pose), b)
    assert cache_key(offline.backend_id, DescribeInput(outside, seg)) == key  # other frames do not matter
    assert cache_key(offline.backend_id, DescribeInput(inside, seg)) != key
    assert cache_key(offline.backend_id, DescribeInput(recon, seg.with_range(40, 81))) != key
    assert cache_key("vlm/other-model", DescribeInput(recon, seg)) != key
    assert cache_key(offline.backend_id, DescribeInput(recon, Segment(40, 80))) == key  # ids and texts don't matter


def test_unreadable_entries_are_misses(tmp_path: Path, offline: OfflineDescriber) -> None:
    recon = clip("push", 0).reconstruction
    inp = DescribeInput(recon, Segment(0, 60))
    key = cache_key(offline.backend_id, inp)
    (tmp_path / f"{key}.json").write_text("{not json")
    cache = DescriptionCache(tmp_path)
    assert cache.get(key) is None
    result = describe_cached(offline, inp, cache)
    assert not result.cached and cache.get(key) is not None


def test_default_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SM_STUDIO_CACHE", str(tmp_path))
    assert DescriptionCache().directory == tmp_path / "descriptions"


def test_default_describer_is_cached_and_honours_the_vlm_setting(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    from inference.describe import VLM_DIR_ENV, CachedDescriber, DescribeError, default_describer

    monkeypatch.setenv("SM_STUDIO_CACHE", str(tmp_path))
    monkeypatch.delenv(VLM_DIR_ENV, raising=False)
    describer = default_describer()
    assert isinstance(describer, CachedDescriber) and isinstance(describer.inner, OfflineDescriber)
    inp = DescribeInput(clip("high_five", 0).reconstruction, Segment(40, 80))
    assert not describer.describe(inp).cached and describer.describe(inp).cached
    assert describer.author == "offline describer v3"
    monkeypatch.setenv(VLM_DIR_ENV, str(tmp_path / "no-model"))
    with pytest.raises(DescribeError, match="no config.json"):
        default_describer()
