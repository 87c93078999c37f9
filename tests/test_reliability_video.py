"""Videos that lie or break: each opens with the truth or fails with a clear VideoError, never a crash."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from inference.video import VideoError, VideoFrames, VideoReader, probe_video


def numbered_frame(i: int, w: int = 96, h: int = 64) -> np.ndarray:
    """A frame whose index can be read back from its brightness, robust to lossy coding."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :] = i * 4  # up to 60 frames
    return img


def index_of(frame: np.ndarray) -> int:
    return int(round(float(frame.mean()) / 4))


def write_avi(path, n: int, fps: float = 25.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (96, 64))
    for i in range(n):
        writer.write(numbered_frame(i))
    writer.release()


def test_frames_are_exact_by_index_and_cached(tmp_path):
    path = tmp_path / "ok.avi"
    write_avi(path, 30)
    with VideoReader(path, cache_bytes=10 * 96 * 64 * 3) as reader:
        assert (reader.num_frames, reader.width, reader.height, reader.fps) == (30, 96, 64, 25.0)
        assert [index_of(reader.frame(i)) for i in (17, 3, 29, 0, 18)] == [17, 3, 29, 0, 18]
        decoded = reader.decoded
        reader.frame(17)
        assert reader.decoded == decoded  # cache hit
        for i in range(30):
            reader.frame(i)
        assert not reader.cached(0) and reader.cached(29) and reader.cache_capacity == 10  # bounded
        with pytest.raises(VideoError, match="frame 30 outside"):
            reader.frame(30)
    frames = VideoFrames(path, 10, 20)
    assert len(frames) == 10 and index_of(frames[-1]) == 19 and [index_of(f) for f in frames[:2]] == [10, 11]


def test_truncated_file_reports_the_frames_that_really_decode(tmp_path):
    path = tmp_path / "cut.avi"
    write_avi(path, 60)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the header still claims 60 frames
    info = probe_video(path)
    assert info.reported_frames == 60 and 0 < info.num_frames < 60
    with VideoReader(path, info=info) as reader:
        assert index_of(reader.frame(info.num_frames - 1)) == info.num_frames - 1


def test_empty_garbage_and_missing_files(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        probe_video(empty)
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(VideoError, match="garbage.mp4"):
        probe_video(garbage)
    with pytest.raises(VideoError, match="not found"):
        probe_video(tmp_path / "nope.mp4")


def test_header_only_video_has_no_frames(tmp_path):
    path = tmp_path / "zero.avi"
    write_avi(path, 0)
    with pytest.raises(VideoError, match="zero.avi"):
        probe_video(path)


def test_variable_frame_rate_video_opens_by_index(tmp_path):
    path = tmp_path / "vfr.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        t = 0
        for i in range(40):
            frame = av.VideoFrame.from_ndarray(numbered_frame(i), format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            t += 20 if i % 2 else 50  # alternating 50 fps and 20 fps
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    info = probe_video(path)
    assert info.num_frames == 40 and 0 < info.fps <= 1000
    with VideoReader(path, info=info) as reader:
        assert [index_of(reader.frame(i)) for i in (39, 5, 6, 20)] == [39, 5, 6, 20]
