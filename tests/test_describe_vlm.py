"""The vision-language backend end to end on tiny random-weight models of every supported family, built and saved
here (``vlm_support.py``): real folder checks, tokenizer, image processor, chat template, generate and answer
reading; plus the answer reader on the kinds of replies real models give, the cache, and the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from inference.describe import CachedDescriber, DescribeError, DescribeInput, DescriptionCache, make_describer
from inference.describe.contact_list import contacts_from_json
from inference.describe.marking import (COLOURS, boxes_from_points, boxes_from_reconstruction, mark_people,
                                        sample_indices)
from inference.describe.vlm import VLMDescriber, context_frames, pair_crop
from inference.describe.vlm_answer import clean_answer, read_answer
from inference.describe.vlm_loading import FAMILIES, family_of
from inference.segments import Segment
from inference.session import Session, load_session, save_session
from sm_studio.cli import main

from describe_support import clip
from vlm_support import BUILDERS


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, build in BUILDERS.items():
        out[name] = tmp_path_factory.mktemp(name)
        build(out[name])
    return out


@pytest.fixture(scope="module")
def handshake():
    return clip("handshake", 0).reconstruction


def noise_video(recon, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (recon.camera.height, recon.camera.width, 3), dtype=np.uint8)
            for _ in range(recon.num_frames)]


def vision_tower(model: torch.nn.Module) -> torch.nn.Module:
    inner = model.model
    return next(getattr(inner, n) for n in ("vision_tower", "visual", "vision_model") if hasattr(inner, n))


@pytest.mark.parametrize("family", list(BUILDERS))
def test_each_family_runs_the_real_path(tiny: dict[str, Path], handshake, family: str) -> None:
    seg = Segment(40, 60)
    describer = make_describer("vlm", tiny[family])
    assert isinstance(describer, VLMDescriber) and describer.family is FAMILIES[family]
    describer.max_new_tokens, describer.min_new_tokens = 6, 3
    assert describer.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    describer.load()
    seen: list[int] = []
    vision_tower(describer.model).register_forward_hook(lambda *_: seen.append(1))
    result = describer.describe(DescribeInput(handshake, seg, video=noise_video(handshake)))

    d = result.details
    assert result.author == f"vlm:{tiny[family].name}" and result.text
    # the last frame before and the first after the segment, around four key frames of it
    assert d["frames"] == [seg.start - 1, *(seg.start + i for i in sample_indices(seg.length, 4)), seg.stop]
    assert d["segment_images"] == [2, 5] and "Images 2 to 5 are the moment to describe" in d["prompt"]
    assert "orange box labelled A" in d["prompt"] and "blue box labelled B" in d["prompt"] and d["marked"]
    x0, y0, x1, y1 = d["crop"]
    assert 0 <= x0 < x1 <= handshake.camera.width and (x1 - x0) * (y1 - y0) < handshake.camera.width * \
        handshake.camera.height  # cropped to the pair
    assert seen and d["image_tokens"] and d["new_tokens"] >= 3  # the pixels reached the vision tower
    assert isinstance(d["problems"], list) and contacts_from_json(d["contacts"]) is not None


def test_answers_are_checked_repaired_and_mapped_to_frames() -> None:
    seg = Segment(100, 140)
    frames = [95, 105, 115, 125, 135, 141]  # image 1 and 6 are context
    good = ('```json\n{"description": "A and B dance holding hands; B turns under A\'s arm.", "contacts": ['
            '{"who": "A", "part": "left hand", "other_part": "right hand", "images": [2, 4]},'
            '{"who": "person B", "part": "right hand", "other_part": "back"},'
            '{"who": "A", "part": "nose", "other_part": "back"},'
            '{"who": "B", "part": "left hand", "other_part": "right shoulder", "images": [6, 6]},'
            '{"who": "C", "part": "hand", "other_part": "back"},],}\n```')
    answer = read_answer(good, frames, seg)
    assert answer.structured and answer.description.startswith("A and B dance holding hands")
    a, b = answer.contacts
    assert (a.person, a.joint, a.target_joints, a.start, a.stop, a.source) == (
        "A", "left_wrist", ("right_wrist",), 105, 126, "vlm")
    assert (b.person, b.other, b.start, b.stop) == ("B", "A", 100, 140)  # no images: the whole segment
    assert answer.problems == [
        "repaired the answer's JSON (trailing commas)",
        "contacts[2] dropped: unknown body part 'nose': name one part such as 'left hand', 'right foot', 'head'",
        "contacts[3] dropped: seen only in the images before or after the segment",
        "contacts[4] dropped: who must be A or B, got 'C'"]
    quoted = read_answer("{'description': 'A hugs B.', 'contacts': []}", frames, seg)
    assert quoted.description == "A hugs B." and quoted.problems == ["repaired the answer's JSON (single quotes)"]
    prose = read_answer("Assistant: A's right hand is on B's back.", frames, seg)
    assert not prose.structured and prose.description == "A's right hand is on B's back."
    assert [(c.joint, c.source) for c in prose.contacts] == [("right_wrist", "vlm")]
    assert "not the JSON asked for" in prose.problems[0]


def test_incomplete_model_folders_say_what_is_missing(tiny: dict[str, Path], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DescribeError, match="no config.json"):
        VLMDescriber(tmp_path)
    with pytest.raises(DescribeError, match="--model-dir"):
        make_describer("vlm")
    broken = tmp_path / "qwen"
    shutil.copytree(tiny["qwen2_5_vl"], broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(DescribeError, match="the weights file is missing"):
        VLMDescriber(broken)
    (broken / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    with pytest.raises(DescribeError, match="weight file model-00001-of-00002.safetensors is missing"):
        VLMDescriber(broken)
    (broken / "config.json").write_text(json.dumps({"model_type": "florence2"}))
    with pytest.raises(DescribeError, match="model type 'florence2' is not one this backend knows"):
        VLMDescriber(broken)
    monkeypatch.setitem(FAMILIES, "smolvlm", FAMILIES["smolvlm"].__class__("SmolVLM2", ("no_such_package_x",)))
    with pytest.raises(DescribeError, match="need the Python package 'no_such_package_x'"):
        family_of(tiny["smolvlm"])


def test_vlm_needs_pixels(tiny: dict[str, Path], handshake) -> None:
    with pytest.raises(DescribeError, match="needs the video frames"):
        VLMDescriber(tiny["gemma3"]).describe(DescribeInput(handshake, Segment(0, 10)))


def test_cache_keys_on_model_pixels_and_prompt(tiny: dict[str, Path], handshake, tmp_path: Path) -> None:
    inner = VLMDescriber(tiny["qwen2_vl"], max_new_tokens=4, min_new_tokens=2)
    describer = CachedDescriber(inner, DescriptionCache(tmp_path))
    seg = Segment(30, 50)
    video = noise_video(handshake)
    first = describer.describe(DescribeInput(handshake, seg, video=video))
    again = describer.describe(DescribeInput(handshake, seg, video=video))
    other = describer.describe(DescribeInput(handshake, seg, video=noise_video(handshake, seed=1)))
    assert not first.cached and again.cached and again.text == first.text
    assert not other.cached  # same motion, other pixels: asked again
    assert "/p2/" in inner.backend_id and len(list(tmp_path.glob("*.json"))) == 2


def test_context_frames_are_trusted_frames_near_the_segment(handshake) -> None:
    b = handshake.people[1].copy()
    b.reliability[35:40] = 0.0  # hidden just before the segment: the context frame moves back
    recon = handshake.replace_people(handshake.people[0], b)
    assert context_frames(recon, 40, 60, recon.num_frames, 30) == [34, 60]
    assert context_frames(recon, 40, 60, 60, 30) == [34]  # the video ends with the segment
    boxes = np.array([[[10, 20, 30, 60], [np.nan] * 4], [[20, 10, 50, 40], [40, 30, 70, 90]]], float)
    assert pair_crop(boxes, 100, 100) == (0, 0, 82, 100)  # x 10..70, y 10..90, grown by 12


def write_video(path: Path, frames: int, width: int, height: int) -> None:
    """Frame ``i`` is a flat grey of level ``8 * i mod 256`` (MJPG keeps flat colours nearly exact)."""
    import cv2

    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    for i in range(frames):
        out.write(np.full((height, width, 3), (8 * i) % 256, np.uint8))
    out.release()


def test_cli_describes_a_session_with_its_video(tiny: dict[str, Path], handshake, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_video(tmp_path / "clip.avi", handshake.num_frames, handshake.camera.width, handshake.camera.height)
    path = tmp_path / "s.smsession"
    save_session(Session(handshake, segments=[Segment(40, 60, id="seg")], video_path="clip.avi"), path)
    model = tiny["qwen2_vl"]
    args = ["describe", str(path), "--backend", "vlm", "--model-dir", str(model), "--cache-dir", str(tmp_path / "c")]
    assert main(args) == 0
    assert f"seg frames 40-59 [vlm:{model.name}]" in capsys.readouterr().out
    assert load_session(path).segment("seg").latest.author == f"vlm:{model.name}"
    assert main(["describe", str(path), "--backend", "vlm", "--model-dir", str(tmp_path)]) == 1
    assert "no config.json" in capsys.readouterr().err


def test_marking_draws_each_person_in_their_colour() -> None:
    frame = np.zeros((120, 200, 3), np.uint8)
    boxes = np.array([[10, 20, 80, 110], [np.nan] * 4])
    marked = mark_people(frame, boxes)
    assert frame.sum() == 0  # the input is untouched
    orange = np.array(COLOURS["A"][0])
    assert np.all(marked[60, 10] == orange) and np.all(marked[110, 50] == orange)  # left and bottom edges
    assert not np.any(np.all(marked == np.array(COLOURS["B"][0]), axis=-1))  # B had no box


def test_boxes_from_points_ignore_invalid_points() -> None:
    pts = np.array([[[[10.0, 10.0], [50.0, 90.0], [500.0, 500.0]]]])
    valid = np.array([[[True, True, False]]])
    box = boxes_from_points(pts, valid, 100, 100)[0, 0]
    assert box[0] < 10 and box[1] < 10 and 50 < box[2] < 60 and 90 < box[3] <= 99


def test_boxes_from_keypoints_match_boxes_from_projected_joints() -> None:
    from dataclasses import replace

    c = clip("handshake", 0)
    recon, joints = c.reconstruction, c.joints
    with_kp = []
    for pid, person in recon:
        uv = recon.camera.project(joints[pid])[..., :2]
        with_kp.append(replace(person, keypoints_2d=np.concatenate([uv, np.ones_like(uv[..., :1])], -1)))
    from_kp = boxes_from_reconstruction(recon.replace_people(*with_kp))
    from_joints = boxes_from_reconstruction(recon, joints)
    assert from_kp.shape == (recon.num_frames, 2, 4)
    assert np.allclose(from_kp, from_joints, atol=1.0)
    assert boxes_from_reconstruction(replace(recon, camera=None), joints) is None


def test_clean_answer_strips_role_echo_and_tokens() -> None:
    assert clean_answer(" Assistant: A's right hand <end_of_utterance> holds\n B's hand.") == \
        "A's right hand holds B's hand."


def test_progress_is_reported_and_cancel_stops_generation(tiny: dict[str, Path], handshake) -> None:
    describer = VLMDescriber(tiny["qwen2_vl"], max_new_tokens=30, min_new_tokens=30)
    inp = DescribeInput(handshake, Segment(40, 60), video=noise_video(handshake))
    seen: list[tuple[float, str]] = []
    result = describer.describe_job(inp, lambda f, m="": seen.append((f, m)), lambda: False)
    fractions = [f for f, _ in seen]
    assert result.details["new_tokens"] == 30 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [m for _, m in seen[:3]] == ["reading and marking frames", f"loading {tiny['qwen2_vl'].name}",
                                        f"asking {tiny['qwen2_vl'].name}"]
    tokens: list[str] = []
    with pytest.raises(DescribeError, match="was cancelled"):
        describer.describe_job(inp, lambda f, m="": tokens.append(m), lambda: len(tokens) > 4)
    assert len(tokens) < 10  # stopped after a few tokens, not 30


def test_a_folder_in_the_older_hub_layout_loads(tiny: dict[str, Path], handshake, tmp_path: Path) -> None:
    """Qwen2.5-VL and SmolVLM2 releases on the hub keep the image settings in preprocessor_config.json (naming the
    processor class) and the template in chat_template.json."""
    from transformers import AutoImageProcessor

    folder = tmp_path / "Qwen2.5-VL-old-layout"
    shutil.copytree(tiny["qwen2_5_vl"], folder)
    AutoImageProcessor.from_pretrained(folder).save_pretrained(folder)  # writes preprocessor_config.json
    settings = json.loads((folder / "preprocessor_config.json").read_text())
    (folder / "preprocessor_config.json").write_text(json.dumps(settings | {"processor_class": "Qwen2_5_VLProcessor"}))
    (folder / "processor_config.json").unlink()
    template = (folder / "chat_template.jinja").read_text()
    (folder / "chat_template.jinja").unlink()
    (folder / "chat_template.json").write_text(json.dumps({"chat_template": template}))
    describer = VLMDescriber(folder, max_new_tokens=3, min_new_tokens=3)
    result = describer.describe(DescribeInput(handshake, Segment(40, 60), video=noise_video(handshake)))
    assert result.details["new_tokens"] == 3 and describer.processor.chat_template == template
