"""FBX scene for one or both people: armature, optional skinned mesh, animation baked at the source rate.

Per person ``P``: a ``Null`` model named ``P`` (the armature; Blender turns it into the armature object) holding
the 22 ``LimbNode`` bones in the SMPL-X hierarchy, resting in the T-pose with identity orientations, without
leaf/end bones; optionally a mesh ``P_body`` skinned to them (``Skin`` deformer, one ``Cluster`` per bone, a
``BindPose``). One animation stack holds Euler (``eEulerXYZ``) rotation curves for every bone and translation
curves for the root, one key per source frame, first key at t = 0, linear interpolation.

The scene's ``GlobalSettings`` say which axis is up and what one unit is, matching the coordinates written
(``tracks.Frame``), so an importer converts to its own convention by itself: Y-up (Maya, Unity) or Z-up with the
person facing −Y (Blender, Unreal); centimetres (FBX's native unit, ``UnitScaleFactor`` 1) or metres (100).
"""

from __future__ import annotations

import itertools
from typing import Iterator

import numpy as np

from .euler import matrices_to_euler
from .fbx_binary import CREATION_TIME, FBX_VERSION, FILE_ID, Int64, Node, encode_document, object_name
from .tracks import Frame, PersonTrack

KTIME_PER_SECOND = 46186158000
TAKE_NAME = "Take 001"
# FBX's predefined frame rates (FbxTime::EMode); anything else is written as eCustom with CustomFrameRate.
_TIME_MODES = {120.0: 1, 100.0: 2, 60.0: 3, 50.0: 4, 48.0: 5, 30.0: 6, 25.0: 10, 24.0: 11, 1000.0: 12,
               96.0: 15, 72.0: 16}
_TIME_MODE_CUSTOM = 14
_KEY_LINEAR = 0x00000004  # eInterpolationLinear
_AXES = {"y": dict(up=1, front=2, front_sign=1), "z": dict(up=2, front=1, front_sign=-1)}


def _P(name: str, type1: str, type2: str, flags: str, *values: object) -> Node:
    return Node("P", [name, type1, type2, flags, *values])  # type: ignore[list-item]


def _matrix(m: np.ndarray) -> np.ndarray:
    """FBX stores 4×4 matrices with the translation in elements 12–14 (column-major)."""
    return np.ascontiguousarray(m.T, dtype=np.float64).reshape(16)


def _translation(t: np.ndarray) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = t
    return m


class _Scene:
    """Collects objects and connections while people are added, then lays out the whole document."""

    def __init__(self, frame: Frame, fps: float, num_frames: int) -> None:
        self.frame, self.fps, self.num_frames = frame, fps, num_frames
        self.objects = Node("Objects")
        self.connections = Node("Connections")
        self.counts: dict[str, int] = {}
        self._ids: Iterator[int] = itertools.count(1_000_000)
        self.key_times = np.round(np.arange(num_frames) * (KTIME_PER_SECOND / fps)).astype(np.int64)
        self.stack = self.new_object("AnimationStack", object_name(TAKE_NAME, "AnimStack"), "")
        props = self.stack.add("Properties70")
        for p in ("LocalStart", "ReferenceStart"):
            props.children.append(_P(p, "KTime", "Time", "", Int64(0)))
        for p in ("LocalStop", "ReferenceStop"):
            props.children.append(_P(p, "KTime", "Time", "", Int64(self.key_times[-1])))
        self.layer = self.new_object("AnimationLayer", object_name("BaseLayer", "AnimLayer"), "")
        self.connect(self.layer, self.stack)

    def new_object(self, kind: str, name: str, subclass: str) -> Node:
        node = self.objects.add(kind, Int64(next(self._ids)), name, subclass)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return node

    def connect(self, child: Node, parent: "Node | None", prop: "str | None" = None) -> None:
        parent_id = Int64(0) if parent is None else parent.props[0]
        if prop is None:
            self.connections.add("C", "OO", child.props[0], parent_id)
        else:
            self.connections.add("C", "OP", child.props[0], parent_id, prop)

    def model(self, name: str, kind: str, translation: np.ndarray, parent: "Node | None") -> Node:
        attr = self.new_object("NodeAttribute", object_name(name, "NodeAttribute"), kind)
        attr.add("TypeFlags", "Skeleton" if kind == "LimbNode" else kind)
        model = self.new_object("Model", object_name(name, "Model"), kind)
        model.add("Version", 232)
        props = model.add("Properties70")
        props.children += [_P("InheritType", "enum", "", "", 1),
                           _P("Lcl Translation", "Lcl Translation", "", "A", *map(float, translation))]
        model.add("Shading", True)
        model.add("Culling", "CullingOff")
        self.connect(attr, model)
        self.connect(model, parent)
        return model

    def curves(self, model: Node, prop: str, short: str, values: np.ndarray) -> None:
        """Animate ``model.prop`` with one curve per axis: ``values (T, 3)``."""
        curve_node = self.new_object("AnimationCurveNode", object_name(short, "AnimCurveNode"), "")
        props = curve_node.add("Properties70")
        for axis, v in zip("XYZ", values[0]):
            props.children.append(_P(f"d|{axis}", "Number", "", "A", float(v)))
        self.connect(curve_node, self.layer)
        self.connect(curve_node, model, prop)
        n = len(values)
        for axis, column in zip("XYZ", values.T):
            curve = self.new_object("AnimationCurve", object_name("", "AnimCurve"), "")
            curve.add("Default", float(column[0]))
            curve.add("KeyVer", 4008)
            curve.add("KeyTime", self.key_times)
            curve.add("KeyValueFloat", column.astype(np.float32))
            curve.add("KeyAttrFlags", np.array([_KEY_LINEAR], np.int32))
            curve.add("KeyAttrDataFloat", np.zeros(4, np.float32))
            curve.add("KeyAttrRefCount", np.array([n], np.int32))
            self.connect(curve, curve_node, f"d|{axis}")

    def add_person(self, track: PersonTrack) -> None:
        armature = self.model(track.person, "Null", np.zeros(3), None)
        bones: list[Node] = []
        offsets = track.rest_offsets
        for j, name in enumerate(track.joint_names):
            parent = armature if j == 0 else bones[int(track.parents[j])]
            bones.append(self.model(name, "LimbNode", offsets[j], parent))
        euler = matrices_to_euler(track.local_rotations, "xyz")  # eEulerXYZ: R = Rz Ry Rx
        for j, bone in enumerate(bones):
            self.curves(bone, "Lcl Rotation", "R", euler[:, j])
        self.curves(bones[0], "Lcl Translation", "T", track.root_positions)
        if track.mesh is not None:
            self.add_skinned_mesh(track, armature, bones)

    def add_skinned_mesh(self, track: PersonTrack, armature: Node, bones: list[Node]) -> None:
        mesh = track.mesh
        assert mesh is not None
        name = f"{track.person}_body"
        geometry = self.new_object("Geometry", object_name(name, "Geometry"), "Mesh")
        geometry.add("Vertices", mesh.vertices.astype(np.float64))
        polygon = mesh.faces.astype(np.int32).copy()
        polygon[:, -1] = ~polygon[:, -1]  # the last index of each polygon is stored as -(i + 1)
        geometry.add("PolygonVertexIndex", polygon)
        geometry.add("GeometryVersion", 124)
        model = self.new_object("Model", object_name(name, "Model"), "Mesh")
        model.add("Version", 232)
        model.add("Properties70")
        model.add("Shading", True)
        model.add("Culling", "CullingOff")
        self.connect(geometry, model)
        self.connect(model, None)
        skin = self.new_object("Deformer", object_name(name, "Deformer"), "Skin")
        skin.add("Version", 101)
        skin.add("Link_DeformAcuracy", 50.0)
        self.connect(skin, geometry)
        pose = self.new_object("Pose", object_name(f"{track.person}_BindPose", "Pose"), "BindPose")
        pose.add("Type", "BindPose")
        pose.add("Version", 100)
        pose.add("NbPoseNodes", 2 + len(bones))
        for node, matrix in [(model, np.eye(4)), (armature, np.eye(4))] + [
                (b, _translation(track.rest_joints[j])) for j, b in enumerate(bones)]:
            entry = pose.add("PoseNode")
            entry.add("Node", node.props[0])
            entry.add("Matrix", _matrix(matrix))
        for j, bone in enumerate(bones):
            cluster = self.new_object("Deformer", object_name(track.joint_names[j], "SubDeformer"), "Cluster")
            influenced = np.nonzero(mesh.weights[:, j] > 0)[0]
            cluster.add("Version", 100)
            cluster.add("UserData", "", "")
            cluster.add("Indexes", influenced.astype(np.int32))
            cluster.add("Weights", mesh.weights[influenced, j].astype(np.float64))
            link = _translation(track.rest_joints[j])  # the bone's world matrix at bind time
            cluster.add("Transform", _matrix(np.linalg.inv(link)))  # mesh (identity) relative to the bone
            cluster.add("TransformLink", _matrix(link))
            self.connect(cluster, skin)
            self.connect(bone, cluster)

    def document(self) -> list[Node]:
        header = Node("FBXHeaderExtension")
        header.add("FBXHeaderVersion", 1003)
        header.add("FBXVersion", FBX_VERSION)
        header.add("EncryptionType", 0)
        stamp = header.add("CreationTimeStamp")
        for key, value in (("Version", 1000), ("Year", 1970), ("Month", 1), ("Day", 1), ("Hour", 10),
                           ("Minute", 0), ("Second", 0), ("Millisecond", 0)):
            stamp.add(key, value)
        header.add("Creator", "SM Studio")
        settings = Node("GlobalSettings")
        settings.add("Version", 1000)
        props = settings.add("Properties70")
        axes = _AXES[self.frame.up]
        mode = _TIME_MODES.get(round(self.fps, 6), _TIME_MODE_CUSTOM)
        props.children += [
            _P("UpAxis", "int", "Integer", "", axes["up"]), _P("UpAxisSign", "int", "Integer", "", 1),
            _P("FrontAxis", "int", "Integer", "", axes["front"]),
            _P("FrontAxisSign", "int", "Integer", "", axes["front_sign"]),
            _P("CoordAxis", "int", "Integer", "", 0), _P("CoordAxisSign", "int", "Integer", "", 1),
            _P("OriginalUpAxis", "int", "Integer", "", axes["up"]),
            _P("OriginalUpAxisSign", "int", "Integer", "", 1),
            _P("UnitScaleFactor", "double", "Number", "", 100.0 / self.frame.scale),
            _P("OriginalUnitScaleFactor", "double", "Number", "", 100.0 / self.frame.scale),
            _P("TimeMode", "enum", "", "", mode),
            _P("TimeProtocol", "enum", "", "", 2),
            _P("SnapOnFrameMode", "enum", "", "", 0),
            _P("TimeSpanStart", "KTime", "Time", "", Int64(0)),
            _P("TimeSpanStop", "KTime", "Time", "", Int64(self.key_times[-1])),
            _P("CustomFrameRate", "double", "Number", "", float(self.fps)),
        ]
        documents = Node("Documents")
        documents.add("Count", 1)
        doc = documents.add("Document", Int64(next(self._ids)), "Scene", "Scene")
        doc_props = doc.add("Properties70")
        doc_props.children.append(_P("ActiveAnimStackName", "KString", "", "", TAKE_NAME))
        doc.add("RootNode", Int64(0))
        definitions = Node("Definitions")
        definitions.add("Version", 100)
        definitions.add("Count", 1 + sum(self.counts.values()))
        definitions.add("ObjectType", "GlobalSettings").add("Count", 1)
        for kind, count in self.counts.items():
            definitions.add("ObjectType", kind).add("Count", count)
        takes = Node("Takes")
        takes.add("Current", TAKE_NAME)
        take = takes.add("Take", TAKE_NAME)
        take.add("FileName", "Take_001.tak")
        take.add("LocalTime", Int64(0), Int64(self.key_times[-1]))
        take.add("ReferenceTime", Int64(0), Int64(self.key_times[-1]))
        return [header, Node("FileId", [FILE_ID]), Node("CreationTime", [CREATION_TIME]),
                Node("Creator", ["SM Studio"]), settings, documents, Node("References"), definitions,
                self.objects, self.connections, takes]


def fbx_bytes(tracks: list[PersonTrack], frame: Frame) -> bytes:
    """Encode the people of ``tracks`` (same frame count and rate) into one binary FBX file."""
    scene = _Scene(frame, tracks[0].fps, tracks[0].num_frames)
    for track in tracks:
        scene.add_person(track)
    return encode_document(scene.document())
