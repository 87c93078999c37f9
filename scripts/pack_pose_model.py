"""Build ``resources/pose/pose_landmarker_full.task``: MediaPipe BlazePose (full) for the current Tasks API.

Run once (the result is committed); the app never downloads anything. Why this is needed: current ``mediapipe``
(1.2.x) ships no model files, and the ``.task`` bundles its ``PoseLandmarker`` expects are downloaded at run time.
The ``mediapipe==0.10.21`` wheel (Apache-2.0) carries the two BlazePose-full networks as plain ``.tflite`` files
without the TFLite metadata the Tasks API reads the input normalisation from. This script

1. takes ``pose_detection.tflite`` and ``pose_landmark_full.tflite`` out of that wheel (``--wheel``, or fetched
   with ``pip download --no-deps`` into a temporary folder; it is not installed: it pins numpy < 2);
2. writes into each a ``TFLITE_METADATA`` buffer (a ``ModelMetadata`` flatbuffer, identifier ``M001``) with an
   RGB image input and its normalisation — detector ``(x − 127.5) / 127.5``, landmarks ``x / 255`` — using the
   flatbuffers schema modules that mediapipe 1.x ships (``mediapipe.tasks.metadata.*_py_generated``);
3. zips them as ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``, the names the task looks for.

Usage: ``.venv/bin/python scripts/pack_pose_model.py [--wheel mediapipe-0.10.21-…whl] [--out PATH]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import flatbuffers

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "pose" / "pose_landmarker_full.task"
WHEEL_VERSION = "0.10.21"
MEMBERS = {  # name inside the .task -> (path inside the 0.10.21 wheel, normalisation mean, std)
    "pose_detector.tflite": ("mediapipe/modules/pose_detection/pose_detection.tflite", 127.5, 127.5),
    "pose_landmarks_detector.tflite": ("mediapipe/modules/pose_landmark/pose_landmark_full.tflite", 0.0, 255.0),
}
MIN_PARSER_VERSION = "1.0.0"  # normalisation and image properties are in the first metadata version


def metadata_buffer(name: str, mean: float, std: float, num_outputs: int) -> bytes:
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md

    norm = md.NormalizationOptionsT()
    norm.mean, norm.std = [mean], [std]
    unit = md.ProcessUnitT()
    unit.optionsType = md.ProcessUnitOptions.NormalizationOptions
    unit.options = norm
    props = md.ImagePropertiesT()
    props.colorSpace = md.ColorSpaceType.RGB
    content = md.ContentT()
    content.contentPropertiesType = md.ContentProperties.ImageProperties
    content.contentProperties = props
    image = md.TensorMetadataT()
    image.name = "image"
    image.content = content
    image.processUnits = [unit]
    outputs = []
    for i in range(num_outputs):
        out = md.TensorMetadataT()
        out.name = f"output_{i}"
        outputs.append(out)
    graph = md.SubGraphMetadataT()
    graph.inputTensorMetadata = [image]
    graph.outputTensorMetadata = outputs
    model = md.ModelMetadataT()
    model.name = name
    model.description = "MediaPipe BlazePose (full), from mediapipe 0.10.21 (Apache-2.0)"
    model.version = WHEEL_VERSION
    model.subgraphMetadata = [graph]
    model.minParserVersion = MIN_PARSER_VERSION
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"M001")
    return bytes(builder.Output())


def with_metadata(tflite: bytes, name: str, mean: float, std: float) -> bytes:
    from mediapipe.tasks.metadata import schema_py_generated as tfl

    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(tflite, 0))
    num_outputs = len(model.subgraphs[0].outputs)
    buf = tfl.BufferT()
    buf.data = list(metadata_buffer(name, mean, std, num_outputs))
    model.buffers = list(model.buffers or []) + [buf]
    entry = tfl.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if m.name != b"TFLITE_METADATA"] + [entry]
    builder = flatbuffers.Builder(len(tflite) + 4096)
    builder.Finish(model.Pack(builder), b"TFL3")
    return bytes(builder.Output())


def fetch_wheel(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    f"mediapipe=={WHEEL_VERSION}", "-d", str(folder)], check=True)
    return next(folder.glob(f"mediapipe-{WHEEL_VERSION}-*.whl"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"mediapipe-{WHEEL_VERSION} wheel (default: pip download)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as whl:
            packed = {name: with_metadata(whl.read(src), name, mean, std)
                      for name, (src, mean, std) in MEMBERS.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(args.out, "w", zipfile.ZIP_STORED) as task:
        for name, data in packed.items():
            task.writestr(name, data)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
