"""Batch inputs and folders without Ray: manifests, per-clip options, stage names, atomic clip folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.batch import DONE, FAILED, BatchError, ClipOptions, ClipRecord, check_stages, read_inputs, read_record
from inference.batch.status import clean_leftovers, commit, new_staging_dir
from inference.motion import MotionError


def test_folder_takes_videos_in_name_order(tmp_path):
    for name in ("b.mp4", "a.MOV", "notes.txt", "a.mkv"):
        (tmp_path / name).write_bytes(b"x")
    specs = read_inputs(tmp_path)
    assert [s.video.name for s in specs] == ["a.MOV", "a.mkv", "b.mp4"]
    assert [s.id for s in specs] == ["a.MOV", "a.mkv", "b.mp4"]  # full names: a.MOV and a.mkv are two clips
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchError, match="no video files"):
        read_inputs(tmp_path / "empty")


def test_csv_manifest_paths_options_and_descriptions(tmp_path):
    (tmp_path / "m.csv").write_text(
        "video,reconstruction,description,options\n"
        'v/one.mp4,,,"{""fit_steps"": 80, ""formats"": ""npz,fbx""}"\n'
        "/abs/two.mp4,est/two.npz,A hugs B,\n")
    one, two = read_inputs(tmp_path / "m.csv", ClipOptions(infill_steps=7))
    assert one.video == tmp_path / "v" / "one.mp4" and one.reconstruction is None
    assert one.options.fit_steps == 80 and one.options.formats == ("npz", "fbx") and one.options.infill_steps == 7
    assert two.video == Path("/abs/two.mp4") and two.reconstruction == tmp_path / "est" / "two.npz"
    assert two.description == "A hugs B" and two.options.fit_steps is None


@pytest.mark.parametrize("text, message", [
    ("clip,description\nx,y\n", r"m.csv: the CSV header needs a 'video' column"),
    ('video,options\na.mp4,"{""fit_step"": 3}"\n', r"m.csv:2: unknown clip option 'fit_step'"),
    ('video,options\na.mp4,"{""fit_steps"": 2.5}"\n', r"m.csv:2: option 'fit_steps' should be a whole number"),
    ("video,options\na.mp4,{nope\n", r"m.csv:2: field 'options' is not a JSON object"),
])
def test_csv_manifest_errors_name_file_line_and_field(tmp_path, text, message):
    (tmp_path / "m.csv").write_text(text)
    with pytest.raises(BatchError, match=message):
        read_inputs(tmp_path / "m.csv")


def test_jsonl_manifest_and_its_errors(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"id": "first take", "video": "a.mp4", "options": {"min_found": 0.5}}) + "\n\n"
                    + json.dumps({"reconstruction": "b.smsession"}) + "\n")
    first, second = read_inputs(path)
    assert first.id == "first_take" and first.options.min_found == 0.5
    assert second.id == "b.smsession" and second.video is None
    path.write_text('{"video": "a.mp4"}\n[1, 2]\n')
    with pytest.raises(BatchError, match=r"m.jsonl:2: expected a JSON object"):
        read_inputs(path)
    path.write_text('{"video": "a.mp4", "speed": 3}\n')
    with pytest.raises(BatchError, match=r"m.jsonl:1: unknown field\(s\) \['speed'\]"):
        read_inputs(path)
    path.write_text('{"description": "no video"}\n')
    with pytest.raises(BatchError, match=r"m.jsonl:1: field 'video' is missing"):
        read_inputs(path)
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(BatchError, match="expected a folder of videos or a manifest"):
        read_inputs(tmp_path / "x.txt")
    with pytest.raises(BatchError, match="no such folder or manifest"):
        read_inputs(tmp_path / "missing.csv")


def test_stage_names_are_checked_and_put_in_pipeline_order():
    assert check_stages(["export", "reconstruct"]) == ("reconstruct", "export")
    with pytest.raises(MotionError, match=r"unknown stage\(s\) \['fly'\]"):
        check_stages(["reconstruct", "fly"])


def test_clip_folders_are_replaced_whole_and_interrupted_ones_repaired(tmp_path):
    clips = tmp_path / "clips"
    final = clips / "c"
    staging = new_staging_dir(final)
    (staging / "motion.npz").write_bytes(b"one")
    commit(staging, final, ClipRecord(clip="c", status=FAILED, error="x"))
    assert read_record(final).status == FAILED
    staging = new_staging_dir(final)
    (staging / "session.smsession").write_bytes(b"two")
    commit(staging, final, ClipRecord(clip="c", status=DONE))
    assert sorted(p.name for p in final.iterdir()) == ["session.smsession", "status.json"]
    assert [p.name for p in clips.iterdir()] == ["c"]  # the replaced folder is gone
    # a worker died mid-clip, and a commit was interrupted between its two renames
    abandoned = new_staging_dir(clips / "d")
    (abandoned / "motion.npz").write_bytes(b"half")
    (clips / "e").mkdir()
    (clips / "e" / "status.json").write_text(json.dumps(ClipRecord(clip="e", status=DONE).to_json()))
    (clips / "e").rename(clips / ".e.old-123")
    assert read_record(clips / "e") is None
    touched = clean_leftovers(clips)
    assert len(touched) == 2 and sorted(p.name for p in clips.iterdir()) == ["c", "e"]
    assert read_record(clips / "e").status == DONE
    (clips / "c" / "status.json").write_text("{not json")
    assert read_record(clips / "c") is None  # unreadable: treated as never run


def test_cli_refuses_bad_inputs_before_starting_anything(tmp_path, capsys):
    from sm_studio.cli import main

    assert main(["batch", str(tmp_path / "missing"), "-o", str(tmp_path / "out")]) == 1
    assert "missing: no such folder or manifest" in capsys.readouterr().err
    (tmp_path / "a.mp4").write_bytes(b"x")
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--stages", "reconstruct,fly"]) == 1
    assert "unknown stage(s) ['fly']" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--retries", "-1"]) == 1
    assert "retries: expected 0 or more" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
