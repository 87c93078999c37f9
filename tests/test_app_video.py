"""Video decoding as the app uses it (``inference.video``): frame-exact random access, the bounded LRU cache,
lazy frame ranges, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.video import VideoError, VideoFrames, VideoReader

from app_support import frame_index, write_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "clip.avi", 90)


def test_random_access_is_frame_exact(clip: Path) -> None:
    reader = VideoReader(clip)
    assert reader.num_frames == 90 and (reader.width, reader.height) == (320, 240)
    for n in (0, 1, 2, 57, 13, 89, 88, 30, 31, 32, 5):
        assert frame_index(reader.frame(n)) == n


def test_cache_is_bounded_and_reused(clip: Path) -> None:
    frame_bytes = 320 * 240 * 3
    reader = VideoReader(clip, cache_bytes=10 * frame_bytes)
    assert reader.cache_capacity == 10
    for n in range(20):
        reader.frame(n)
    assert reader.decoded == 20
    assert not reader.cached(0) and reader.cached(19) and reader.cached(10)
    reader.frame(15)  # a hit: no decode, and it becomes most recent
    assert reader.decoded == 20
    reader.frame(0)  # evicted earlier: decoded again, pushing out the least recent (10)
    assert reader.decoded == 21 and not reader.cached(10) and reader.cached(15)


def test_frames_are_read_only(clip: Path) -> None:
    frame = VideoReader(clip).frame(3)
    with pytest.raises(ValueError):
        frame[0, 0, 0] = 1


def test_lazy_range(clip: Path) -> None:
    frames = VideoFrames(clip, 40, 50)
    assert len(frames) == 10
    assert frame_index(frames[0]) == 40 and frame_index(frames[-1]) == 49
    assert [frame_index(f) for f in frames[2:4]] == [42, 43]
    with pytest.raises(IndexError):
        frames[10]


def test_errors_name_the_file(tmp_path: Path, clip: Path) -> None:
    with pytest.raises(VideoError, match="missing.mp4"):
        VideoReader(tmp_path / "missing.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0" * 1000)
    with pytest.raises(VideoError, match="junk.mp4"):
        VideoReader(junk)
    with pytest.raises(VideoError, match="frame 90"):
        VideoReader(clip).frame(90)
