"""Contacts, pins and the before/after comparison in the views: the controller between the document and the
edit layers (:mod:`edit_overlay`) over the video and 3D views.

It builds what the layers draw at the playhead (:class:`~sm_studio.edit_overlay.EditScene`), turns a click on two
body parts into a contact and a dragged joint into a pin (limb IK, one undo step), and computes where the compared
motions differ (``differenceChanged``, for the timeline) — all through document methods, never holding a window.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from PySide6.QtCore import QObject, Signal

from inference.describe.contacts import ContactConstraint
from inference.edit.contacts import Contact
from inference.edit.hold import pose_with_pin
from inference.edit.judge import difference_mm
from inference.edit.pins import Pin
from inference.motion import PERSON_IDS, MotionError, Reconstruction
from inference.skeleton import BODY_JOINT_NAMES, JOINT_INDEX

from .document import Document
from .edit_overlay import EditOverlay, EditScene
from .jobs import JobFn
from .orbit_camera import pair_target
from .orbit_view import OrbitView
from .pose_picking import PosedJoints, ViewCamera
from .video_view import VideoView

GHOSTS = ("auto", "original", "off")
RunJob = Callable[[str, JobFn, Callable[[object], None], str], None]  # auto: the other side of before/after while a candidate is pending


class CorrectionTools(QObject):
    message = Signal(str)  # what just happened, for the status bar
    differenceChanged = Signal(object)  # (T,) mm between the compared motions; empty when nothing is compared
    pickingChanged = Signal(bool)

    def __init__(self, doc: Document, video_view: VideoView, orbit_view: OrbitView,
                 run_job: RunJob, parent: Optional[QObject] = None) -> None:
        """``run_job(name, fn, on_done, what_to_do)`` runs the IK of a pin in the background (the window's jobs)."""
        super().__init__(parent)
        self._run_job = run_job
        self._doc, self._video, self._orbit = doc, video_view, orbit_view
        self.posed = PosedJoints()
        self.scene = EditScene()
        self.ghost = "auto"
        self.selected_contact: Optional[Contact] = None
        self._replacing: Optional[Contact] = None
        self.video_overlay = EditOverlay(video_view, self.scene, self._video_camera)
        self.orbit_overlay = EditOverlay(orbit_view, self.scene, self._orbit_camera)
        for overlay in (self.video_overlay, self.orbit_overlay):
            overlay.jointClicked.connect(self._picked)
            overlay.pinDragged.connect(self._pin_dragged)
        for signal in (doc.frameChanged, doc.reconstructionChanged, doc.contactsChanged, doc.pinsChanged,
                       doc.selectionChanged, doc.segmentsChanged):
            signal.connect(self.refresh)
        for signal in (doc.reconstructionChanged, doc.candidateChanged, doc.sessionReplaced):
            signal.connect(self.refresh_difference)
        doc.sessionReplaced.connect(self._frame_people)

    # ----- what is compared -----
    def compared(self) -> tuple[Optional[Reconstruction], Optional[Reconstruction], str, str]:
        """(before, after, their names): current vs candidate while one is pending, else original vs current."""
        d = self._doc
        if d.candidate is not None:
            return d.reconstruction, d.candidate, "current", "candidate"
        return d.original, d.reconstruction, "original", "current"

    def refresh_difference(self, *_: object) -> None:
        before, after, _, _ = self.compared()
        if before is None or after is None:
            self.differenceChanged.emit(np.zeros(0))  # never None through a Signal(object): PySide6 mis-counts it
            return
        self.differenceChanged.emit(difference_mm(self.posed.joints(before), self.posed.joints(after)))

    def set_ghost(self, mode: str) -> None:
        if mode not in GHOSTS:
            raise ValueError(f"ghost must be one of {GHOSTS}, got {mode!r}")
        self.ghost = mode
        self.refresh()

    def set_visible(self, visible: tuple[bool, bool]) -> None:
        self.scene.visible = visible
        self.refresh()

    # ----- contacts by clicking -----
    def start_picking(self, replacing: Optional[Contact] = None) -> None:
        """The next two clicks on body parts (one per person) make a contact for the selected segment,
        replacing ``replacing`` when given."""
        if self._doc.selected_segment is None:
            raise ValueError("select a segment first: contacts belong to a segment")
        self._replacing = replacing
        self.scene.picking, self.scene.picked = True, None
        self.pickingChanged.emit(True)
        self.message.emit("Click a body part of one person, then the body part of the other it touches")
        self._update_layers()

    def cancel_picking(self) -> None:
        if self.scene.picking:
            self.scene.picking, self.scene.picked, self._replacing = False, None, None
            self.pickingChanged.emit(False)
            self._update_layers()

    def _picked(self, person: int, joint: int) -> None:
        if self.scene.picked is None:
            self.scene.picked = (person, joint)
            self._update_layers()
            return
        (pa, ja), seg = self.scene.picked, self._doc.selected_segment
        replacing = self._replacing
        self.cancel_picking()
        if seg is None or pa == person:
            return
        name = BODY_JOINT_NAMES[joint]
        start, stop = (replacing.start, replacing.stop) if replacing is not None else (seg.start, seg.stop)
        contact = Contact(ContactConstraint(PERSON_IDS[pa], BODY_JOINT_NAMES[ja], PERSON_IDS[person], (name,),
                                            start, stop, name.replace("_", " ")), "hand")
        try:
            if replacing is not None:
                self._doc.replace_contact(seg.id, replacing, contact)
            else:
                self._doc.add_contact(seg.id, contact)
        except MotionError as exc:
            self.message.emit(f"Contact not added: {exc}")
            return
        self.selected_contact = contact
        self.message.emit(f"Contact {contact.label()} · frames {start}–{stop - 1}")

    # ----- pins by dragging -----
    def _pin_dragged(self, person: int, joint: int, target: np.ndarray) -> None:
        recon, frame = self._doc.reconstruction, self._doc.frame
        if recon is None or self._doc.previewing_candidate:
            self.message.emit("Pins edit the current motion: switch the before/after toggle to 'before' first")
            return
        self.place_pin(Pin(PERSON_IDS[person], BODY_JOINT_NAMES[joint], frame, frame + 1, tuple(target)))

    def place_pin(self, pin: Pin, replacing: Optional[Pin] = None) -> None:
        """Pose the current motion onto ``pin`` (limb IK, a job: about a second) and keep the pin, in one undo
        step."""
        recon, body = self._doc.reconstruction, self.posed.body
        if recon is None:
            raise ValueError("no motion loaded")

        def done(posed: object) -> None:
            if self._doc.reconstruction is not recon:
                self.message.emit("The motion changed while the pin was placed: drag the joint again")
                return
            self._doc.pin_joint(pin, posed, replacing)  # type: ignore[arg-type]
            self.message.emit(f"{pin.label()}: the infiller and refiner keep it there")
        self._run_job(f"Pinning {pin.person}'s {pin.joint.replace('_', ' ')}",
                      lambda _progress, _cancel: pose_with_pin(recon, body, pin), done, "The motion is unchanged.")

    # ----- cameras of the two views -----
    def _video_camera(self) -> Optional[ViewCamera]:
        recon = self._doc.shown_reconstruction
        if recon is None or recon.camera is None:
            return None
        cam, f = recon.camera, min(self._doc.frame, recon.num_frames - 1)
        rect = self._video.image_rect()
        return ViewCamera(cam.K, cam.R[f], cam.t[f], (rect.width() / cam.width, rect.height() / cam.height),
                          (rect.x(), rect.y()))

    def _orbit_camera(self) -> Optional[ViewCamera]:
        if self.scene.joints is None:
            return None
        orbit = self._orbit.orbit
        K, R, t = orbit.camera(pair_target(self.scene.joints))
        return ViewCamera(K, R, t, (self._orbit.width() / orbit.width, self._orbit.height() / orbit.height))

    def _frame_people(self) -> None:
        if self._doc.reconstruction is not None:
            self._orbit.frame_people(self.posed.joints(self._doc.reconstruction))

    # ----- the scene at the playhead -----
    def refresh(self, *_: object) -> None:
        d, s = self._doc, self.scene
        recon = d.shown_reconstruction
        if recon is None:
            s.joints = s.ghost = None
            self._update_layers()
            return
        f = min(d.frame, recon.num_frames - 1)
        joints = self.posed.joints(recon)
        s.joints = joints[f]
        s.ghost = self._ghost_joints(recon, f)
        s.contacts = [self._marker(c, joints[f]) for c in d.all_contacts() if c.start <= f < c.stop]
        s.pins = [(p.person_index, JOINT_INDEX[p.joint], np.asarray(p.target)) for p in d.pins
                  if p.start <= f < p.stop]
        self._update_layers()

    def _ghost_joints(self, shown: Reconstruction, frame: int) -> Optional[np.ndarray]:
        d = self._doc
        if self.ghost == "original":
            other = d.original
        elif self.ghost == "auto" and d.candidate is not None:
            other = d.reconstruction if shown is d.candidate else d.candidate
        else:
            other = None
        return None if other is None or other is shown else self.posed.joints(other)[frame]

    def _marker(self, contact: Contact, joints: np.ndarray) -> tuple[int, int, int, int, bool]:
        c = contact.constraint
        pa, pb = PERSON_IDS.index(c.person), PERSON_IDS.index(c.other)
        ja = JOINT_INDEX[c.joint]
        targets = list(c.target_indices)
        jb = targets[int(np.linalg.norm(joints[pb, targets] - joints[pa, ja], axis=-1).argmin())]
        return pa, ja, pb, jb, contact == self.selected_contact

    def _update_layers(self) -> None:
        self.video_overlay.update()
        self.orbit_overlay.update()
