"""The vision-language backend end to end on a tiny, randomly initialised Idefics3 (SmolVLM's architecture) that
the test builds and saves itself: real tokenizer, real image processor, real generate, real output parsing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inference.describe import DescribeError, DescribeInput, make_describer
from inference.describe.marking import (COLOURS, boxes_from_points, boxes_from_reconstruction, mark_people,
                                        sample_indices)
from inference.describe.vlm import VLMDescriber, clean_answer
from inference.segments import Segment
from inference.session import Session, load_session, save_session
from sm_studio.cli import main

from describe_support import clip

CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] | capitalize }}:{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>{% else %} {{ c['text'] }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)


def build_tiny_idefics3(directory: Path) -> None:
    """A 1-layer Idefics3 with a word-level tokenizer trained on a few sentences, saved like a hub checkpoint."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import (Idefics3Config, Idefics3ForConditionalGeneration, Idefics3Processor,
                              PreTrainedTokenizerFast)
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil

    special = ["<unk>", "<pad>", "<end_of_utterance>", "<fake_token_around_image>", "<image>", "<global-img>"]
    special += [f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7)]
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = ["A's right hand holds B's right hand .", "B's left hand is on A's shoulder , they face each other .",
              "User : Assistant : these images are frames of two people interacting in the orange and blue box"]
    tok.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=special))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>",
                                        eos_token="<end_of_utterance>")
    images = Idefics3ImageProcessorPil(size={"longest_edge": 64}, max_image_size={"longest_edge": 32})
    processor = Idefics3Processor(image_processor=images, tokenizer=tokenizer, image_seq_len=4,
                                  chat_template=CHAT_TEMPLATE)
    ids = tokenizer.convert_tokens_to_ids
    config = Idefics3Config(
        text_config=dict(model_type="llama", vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=1024, pad_token_id=ids("<pad>"), bos_token_id=None,
                         eos_token_id=ids("<end_of_utterance>")),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        scale_factor=2, image_token_id=ids("<image>"))
    torch.manual_seed(0)
    Idefics3ForConditionalGeneration(config).save_pretrained(directory)
    processor.save_pretrained(directory)


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-idefics3")
    build_tiny_idefics3(directory)
    return directory


@pytest.fixture(scope="module")
def handshake_clip():
    return clip("handshake", 0)


def _frames(n: int, h: int = 90, w: int = 160) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_vlm_describes_marked_frames_end_to_end(tiny_vlm: Path, handshake_clip) -> None:
    recon = handshake_clip.reconstruction
    seg = Segment(30, 50)
    describer = make_describer("vlm", tiny_vlm)
    assert isinstance(describer, VLMDescriber)
    assert describer.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    describer.load()
    seen: list[torch.Tensor] = []
    describer.model.model.vision_model.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append(kwargs.get("pixel_values", args[0] if args else None)),
        with_kwargs=True)
    frames = _frames(seg.length, recon.camera.height, recon.camera.width)  # boxes from projecting the 3D joints
    result = describer.describe(DescribeInput(recon, seg, frames=frames))

    assert isinstance(result.text, str)
    assert result.author == f"vlm:{tiny_vlm.name}"
    d = result.details
    assert d["marked"] and d["frames"] == [seg.start + i for i in sample_indices(seg.length, 4)]
    assert "orange box labelled A" in d["prompt"] and "blue box labelled B" in d["prompt"]
    # 4 frames, each split into 2x2 tiles plus a global view, 4 image tokens per tile
    assert d["image_tokens"] == 4 * 5 * 4
    assert seen and seen[0].shape[0] == 4 * 5 and seen[0].shape[-1] == 32  # the pixels reached the vision tower
    assert d["new_tokens"] >= 1
    assert isinstance(d["contacts"], list)


def test_vlm_needs_frames_and_a_model_dir(tiny_vlm: Path, handshake_clip, tmp_path: Path) -> None:
    recon = handshake_clip.reconstruction
    with pytest.raises(DescribeError, match="needs the video frames"):
        VLMDescriber(tiny_vlm).describe(DescribeInput(recon, Segment(0, 10)))
    with pytest.raises(DescribeError, match="no config.json"):
        VLMDescriber(tmp_path)
    with pytest.raises(DescribeError, match="--model-dir"):
        make_describer("vlm")


def write_video(path: Path, frames: int, width: int, height: int) -> None:
    """Frame ``i`` is a flat grey of level ``8 * i mod 256`` (MJPG keeps flat colours nearly exact)."""
    import cv2

    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    for i in range(frames):
        out.write(np.full((height, width, 3), (8 * i) % 256, np.uint8))
    out.release()


def test_cli_describes_a_session_with_its_video(tiny_vlm: Path, handshake_clip, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    recon = handshake_clip.reconstruction
    write_video(tmp_path / "clip.avi", recon.num_frames, recon.camera.width, recon.camera.height)
    path = tmp_path / "s.smsession"
    save_session(Session(recon, segments=[Segment(40, 60, id="seg")], video_path="clip.avi"), path)
    args = ["describe", str(path), "--backend", "vlm", "--model-dir", str(tiny_vlm), "--cache-dir", str(tmp_path / "c")]
    assert main(args) == 0
    assert f"seg frames 40-59 [vlm:{tiny_vlm.name}]" in capsys.readouterr().out
    assert load_session(path).segment("seg").latest.author == f"vlm:{tiny_vlm.name}"


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


def test_boxes_from_keypoints_match_boxes_from_projected_joints(handshake_clip) -> None:
    from dataclasses import replace

    recon = handshake_clip.reconstruction
    joints = handshake_clip.joints
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
