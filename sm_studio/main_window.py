"""The main window: assembles the views around one :class:`~sm_studio.document.Document` and wires the actions.

Everything slow runs elsewhere: video decoding (:mod:`frame_loader`) and the overlay (:mod:`overlay_worker`) on
their own threads, file reading/writing, infill/refine and descriptions as :mod:`jobs` in the thread pool. Errors
are shown as dialogs that say what went wrong and what to do; the session in memory is never dropped by a failure.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import Qt, QThreadPool, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QLabel, QMainWindow, QMessageBox,
                               QSlider, QSplitter, QToolBar)

from inference.video import VideoFrames, VideoInfo

from .app_settings import AppSettings
from .autosave import Autosave
from .compare_view import CompareView
from .contacts_panel import ContactsPanel
from .correction_tools import GHOSTS, CorrectionTools
from .description_panel import DescriptionPanel
from .document import Document
from .export_dialog import ExportDialog
from .frame_pipeline import FramePipeline
from .job_bar import JobBar, JobBusy
from .jobs import JobFn
from .log_panel import LogPanel
from .metrics_panel import MetricsPanel
from .motion_backends import INFILL_LABELS, LEARNED_REFINE, MotionBackend, describe_backend, find_backend
from .orbit_view import OrbitView
from .overlay_worker import MODES
from .playback import Playback
from .preferences_dialog import PreferencesDialog
from .session_files import SessionFiles
from .timeline import Timeline
from .timeline_marks import TimelineMarks
from .gl_video_view import make_video_view

log = logging.getLogger(__name__)

APP_NAME = "SM Studio"


class MainWindow(QMainWindow):
    def __init__(self, settings: Optional[AppSettings] = None, backend: Optional[MotionBackend] = None,
                 playing_scale: float = 0.5, recovery_path: Optional[Path] = None) -> None:
        """``playing_scale``: overlay resolution during playback, relative to the video's; ``recovery_path``:
        where unsaved work is autosaved (default: the app's data folder)."""
        super().__init__()
        self.settings = settings or AppSettings()
        self.doc = Document(self)
        self.backend = backend or find_backend()
        self.describer, describer_note = describe_backend(self.settings.vlm_model_dir())
        self.playback = Playback(self.doc, self)
        self.autosave = Autosave(self.doc, recovery_path, self.settings.autosave_interval_ms(), parent=self)
        self.last_error = ""  # the text of the last error dialog (tests and the log read it)
        self.confirm_close = True

        self.video_view = make_video_view()
        self.orbit_view = OrbitView()
        self.pipeline = FramePipeline(self.doc, self.playback, self.video_view, self.orbit_view, playing_scale, self)
        self.files = SessionFiles(self)
        self.timeline = Timeline(self.doc)
        self.description = DescriptionPanel(self.doc)
        self.description.set_backend(getattr(self.describer, "author", None), describer_note)
        self.tools = CorrectionTools(self.doc, self.video_view, self.orbit_view,
                                     lambda *job: self._guarded(lambda: self.run_job(*job)), self)
        self.contacts_panel = ContactsPanel(self.doc, self.tools)
        self.metrics_panel = MetricsPanel(self.doc, self.tools)
        self.timeline_marks = TimelineMarks(self.timeline, self.doc, self.tools)
        self.compare_view = CompareView(self.doc, self.tools, self.orbit_view)
        self.compare_view.setVisible(False)
        self.log_panel = LogPanel()
        self.job_bar = JobBar()
        self._build_layout()
        self._build_actions()
        self._build_menus()
        self._build_toolbars()
        self._connect()
        self.setAcceptDrops(True)
        self._update_title()
        self._update_actions()
        geometry, state = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._layout_restored = state is not None and self.restoreState(state)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._layout_restored:  # first start: video over a 3D view big enough to judge poses in
            self._layout_restored = True
            dock = self.findChild(QDockWidget, "dock-timeline")
            QTimer.singleShot(0, lambda: self.resizeDocks([dock], [max(260, self.height() // 3)], Qt.Vertical))
            QTimer.singleShot(0, lambda: self._share(self.views_splitter, (0.55, 0.45, 0.0)))
            QTimer.singleShot(0, lambda: self._share(self.side_splitter, (0.3, 0.38, 0.32)))

    def _show_side_by_side(self, on: bool) -> None:
        self.compare_view.setVisible(on)
        self._share(self.views_splitter, (0.45, 0.3, 0.25) if on else (0.55, 0.45, 0.0))

    @staticmethod
    def _share(splitter: QSplitter, fractions: tuple[float, ...]) -> None:
        total = splitter.height() if splitter.orientation() == Qt.Vertical else splitter.width()
        splitter.setSizes([int(total * f) for f in fractions])

    # ----- construction -----
    def _build_layout(self) -> None:
        views = QSplitter(Qt.Vertical)
        views.addWidget(self.video_view)
        views.addWidget(self.orbit_view)
        views.addWidget(self.compare_view)
        views.setStretchFactor(0, 3)
        views.setStretchFactor(1, 2)
        self.views_splitter = views
        side = QSplitter(Qt.Vertical)  # the description, the contacts and pins it stands for, the numbers
        for widget, stretch in ((self.description, 3), (self.contacts_panel, 3), (self.metrics_panel, 2)):
            side.addWidget(widget)
            side.setStretchFactor(side.count() - 1, stretch)
        self.side_splitter = side
        main = QSplitter(Qt.Horizontal)
        main.addWidget(views)
        main.addWidget(side)
        main.setStretchFactor(0, 4)
        main.setStretchFactor(1, 1)
        self.setCentralWidget(main)
        for title, widget, area in (("Timeline", self.timeline, Qt.BottomDockWidgetArea),
                                    ("Log", self.log_panel, Qt.BottomDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{title.lower()}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
        timeline_dock = self.findChild(QDockWidget, "dock-timeline")
        self.tabifyDockWidget(timeline_dock, self.findChild(QDockWidget, "dock-log"))
        timeline_dock.raise_()
        self.frame_label = QLabel("")
        self.statusBar().addPermanentWidget(self.frame_label)
        self.statusBar().addPermanentWidget(self.job_bar)
        self.autosave_label = QLabel("Autosave off" if self.autosave.off_reason else "")
        self.autosave_label.setToolTip(f"Unsaved work is not protected: {self.autosave.off_reason}")
        self.autosave_label.setStyleSheet("color: #e0a030; font-weight: bold")
        self.autosave_label.setVisible(bool(self.autosave.off_reason))
        self.statusBar().addPermanentWidget(self.autosave_label)

    def _action(self, text: str, slot: Callable[[], object], shortcut: "str | QKeySequence | None" = None,
                tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: self._guarded(slot))
        self.addAction(act)  # shortcuts work wherever the focus is in this window
        return act

    def _build_actions(self) -> None:
        a = self.actions_by_name = {}
        a["open"] = self._action("&Open…", self.files.choose_open, QKeySequence.Open,
                                 "Open a video, a motion or a session")
        a["open_demo"] = self._action("Open &demo", self.files.open_demo, tip="The embedded two-person demo")
        a["save"] = self._action("&Save session", self.files.save, QKeySequence.Save)
        a["save_as"] = self._action("Save session &as…", self.files.save_as, QKeySequence.SaveAs)
        a["export_npz"] = self._action("NPZ (both people)…", lambda: self.files.choose_export("npz"))
        a["export"] = self._action("&Export…", self.open_export_dialog, "Ctrl+E",
                                   "Export with options: format, frames, person, up axis, units, original/corrected")
        a["quit"] = self._action("&Quit", self.close, QKeySequence.Quit)
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        # one list without repeats: on Linux QKeySequence.Redo already is Ctrl+Shift+Z (an ambiguous overload)
        redo.setShortcuts(list(dict.fromkeys(
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"), *QKeySequence.keyBindings(QKeySequence.Redo)])))
        self.addActions([undo, redo])
        a["undo"], a["redo"] = undo, redo
        a["add_segment"] = self._action("Add segment at playhead", self.add_segment_here, "Ctrl+N")
        a["split"] = self._action("Split segment at playhead", self.split_here, "S")
        a["merge"] = self._action("Merge with next segment", self.merge_with_next, "M")
        a["delete"] = self._action("Delete segment", self.delete_selected, QKeySequence.Delete)
        a["swap"] = self._action("Swap A/B from this frame", lambda: self.doc.swap_identities(self.doc.frame))
        a["preferences"] = self._action("Preferences…", lambda: PreferencesDialog(self.settings, self).open())
        a["play"] = self._action("Play/Pause", self.playback.toggle, "Space")
        a["prev"] = self._action("Previous frame", lambda: self.step(-1), "Left")
        a["next"] = self._action("Next frame", lambda: self.step(1), "Right")
        a["back_1s"] = self._action("Back one second", lambda: self.step(-self._second()), "Shift+Left")
        a["fwd_1s"] = self._action("Forward one second", lambda: self.step(self._second()), "Shift+Right")
        a["shuttle_back"] = self._action("Shuttle backward", lambda: self.playback.shuttle(-1), "J")
        a["shuttle_stop"] = self._action("Shuttle stop", self.playback.pause, "K")
        a["shuttle_fwd"] = self._action("Shuttle forward", lambda: self.playback.shuttle(1), "L")
        a["prev_segment"] = self._action("Previous segment", lambda: self.jump_segment(-1), "Up")
        a["next_segment"] = self._action("Next segment", lambda: self.jump_segment(1), "Down")
        b = self.backend
        note = f" — {b.note}" if b.note else ""
        a["infill"] = self._action(f"&Infill segment ({b.infill_label or 'unavailable'})", self.infill_selected,
                                   "Ctrl+I", f"Fill in the selected segment's motion{note}")
        a["refine"] = self._action(f"&Refine sequence ({b.refine_label or 'unavailable'})", self.refine_sequence,
                                   "Ctrl+R", f"Clean the whole sequence{note}")
        a["infill"].setIconText("Infill" if b.infill_label in INFILL_LABELS.values() else f"Infill: {b.infill_label}")
        a["refine"].setIconText("Refine" if b.refine_label == LEARNED_REFINE else f"Refine: {b.refine_label}")
        show_after = QAction("Show after (candidate)", self, checkable=True)
        show_after.setShortcut(QKeySequence("C"))
        show_after.setToolTip("Toggle between the motion before and after the candidate")
        show_after.toggled.connect(self.doc.set_preview_candidate)
        self.addAction(show_after)
        a["show_after"] = show_after
        a["accept"] = self._action("Accept candidate", self.doc.accept_candidate, "Ctrl+Return")
        a["cancel_pick"] = self._action("Stop picking body parts", self.tools.cancel_picking, "Esc")
        a["discard"] = self._action("Discard candidate", self.doc.discard_candidate)
        side_by_side = QAction("Side by side", self, checkable=True)
        side_by_side.setShortcut(QKeySequence("Ctrl+B"))
        side_by_side.setToolTip("Before and after next to each other (current | candidate, or original | current)")
        side_by_side.toggled.connect(self._show_side_by_side)
        self.addAction(side_by_side)
        a["side_by_side"] = side_by_side

    def _build_menus(self) -> None:
        a = self.actions_by_name
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(a["open"])
        file_menu.addAction(a["open_demo"])
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(a["save"])
        file_menu.addAction(a["save_as"])
        file_menu.addAction(a["export"])
        export_menu = file_menu.addMenu("Quick e&xport")
        export_menu.addAction(a["export_npz"])
        for fmt in self.files.extra_export_formats():
            act = self._action(f"{fmt.upper()}…", lambda f=fmt: self.files.choose_export(f))
            export_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        edit = self.menuBar().addMenu("&Edit")
        for key in ("undo", "redo", None, "add_segment", "split", "merge", "delete", None, "swap", None, "preferences"):
            edit.addSeparator() if key is None else edit.addAction(a[key])
        play = self.menuBar().addMenu("&Playback")
        for key in ("play", "prev", "next", "back_1s", "fwd_1s", "shuttle_back", "shuttle_stop", "shuttle_fwd",
                    "prev_segment", "next_segment"):
            play.addAction(a[key])
        motion = self.menuBar().addMenu("&Motion")
        for key in ("infill", "refine", None, "show_after", "side_by_side", "accept", "discard"):
            motion.addSeparator() if key is None else motion.addAction(a[key])
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("Keyboard shortcuts", self.show_shortcuts, "F1"))

    def _build_toolbars(self) -> None:
        a = self.actions_by_name
        bar = QToolBar("Playback", self)
        bar.setObjectName("toolbar-playback")
        self.addToolBar(bar)
        bar.addAction(a["play"])
        bar.addSeparator()
        self.overlay_check = QCheckBox("Overlay")
        self.overlay_check.setChecked(True)
        self.opacity_slider = QSlider(Qt.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setValue(80)
        self.opacity_slider.setMaximumWidth(120)
        self.opacity_slider.setToolTip("Overlay opacity")
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(MODES)
        self.person_checks = {pid: QCheckBox(f"Person {pid}") for pid in ("A", "B")}
        self.ghost_combo = QComboBox()
        self.ghost_combo.addItems(GHOSTS)
        self.ghost_combo.setToolTip("Ghost skeleton: auto = the other side of before/after while a candidate is "
                                    "pending; original = the motion before any correction")
        for w in (self.overlay_check, QLabel("Opacity"), self.opacity_slider, self.mode_combo,
                  *self.person_checks.values(), QLabel("Ghost"), self.ghost_combo):
            bar.addWidget(w)
        for c in self.person_checks.values():
            c.setChecked(True)
        bar.addSeparator()
        bar.addAction(a["infill"])
        bar.addAction(a["refine"])
        self.addToolBarBreak()
        cand = QToolBar("Candidate", self)
        cand.setObjectName("toolbar-candidate")
        self.addToolBar(cand)
        self.candidate_label = QLabel("")
        cand.addWidget(self.candidate_label)
        for key in ("show_after", "side_by_side", "accept", "discard"):
            cand.addAction(a[key])
        self.candidate_bar = cand
        cand.setVisible(False)

    def _connect(self) -> None:
        d = self.doc
        d.frameChanged.connect(self._show_frame_number)
        d.candidateChanged.connect(self._candidate_changed)
        d.previewCandidateChanged.connect(self._preview_changed)
        d.undo_stack.cleanChanged.connect(lambda _clean: self._update_title())
        d.selectionChanged.connect(lambda _id: self._update_actions())
        d.segmentsChanged.connect(self._update_actions)
        d.reconstructionChanged.connect(self._update_actions)
        self.timeline.frameRequested.connect(d.set_frame)
        p = self.pipeline
        p.videoError.connect(lambda msg: self.statusBar().showMessage(f"Video: {msg}", 5000))
        p.noteChanged.connect(lambda note: self.mode_combo.setToolTip(note or "How the bodies are drawn"))
        self.overlay_check.toggled.connect(p.set_overlay_enabled)
        self.opacity_slider.valueChanged.connect(lambda v: p.set_style(opacity=v / 100))
        self.mode_combo.currentTextChanged.connect(lambda m: p.set_style(mode=m))
        for c in self.person_checks.values():
            c.toggled.connect(lambda _on: p.set_style(visible=tuple(
                self.person_checks[pid].isChecked() for pid in ("A", "B"))))
            c.toggled.connect(lambda _on: self.tools.set_visible(p.style.visible))
        self.ghost_combo.currentTextChanged.connect(self.tools.set_ghost)
        self.tools.message.connect(lambda msg: self.statusBar().showMessage(msg, 10000))
        self.log_panel.handler.bridge.problem.connect(lambda msg: self.statusBar().showMessage(msg, 15000))
        self.job_bar.jobCancelled.connect(lambda name: self.statusBar().showMessage(f"{name}: cancelled", 10000))
        d.sessionReplaced.connect(self._update_title)
        self.description.regenerateRequested.connect(
            lambda seg_id: self._guarded(lambda: self.regenerate_description(seg_id)))
        self.job_bar.busyChanged.connect(lambda _busy: self._update_actions())
        self.autosave.failed.connect(lambda why: self.statusBar().showMessage(
            f"Autosave failed — unsaved work is not protected until you save ({why})", 30000))

    # ----- generic helpers -----
    def _guarded(self, slot: Callable[[], object]) -> None:
        """Run a user action; a refused edit becomes a dialog, never a crash or a lost session."""
        try:
            slot()
        except JobBusy as exc:
            self.show_error("Busy", str(exc), "Wait for the running job to finish, or press Cancel.")
        except (ValueError, KeyError, OSError) as exc:
            self.show_error("That did not work", str(exc), "Nothing was changed.")

    def show_error(self, title: str, what: str, todo: str, details: str = "") -> None:
        self.last_error = f"{what}\n{todo}"
        log.error("%s: %s", title, what)  # the log's problem line also reaches the status bar
        box = QMessageBox(QMessageBox.Warning, title, what, QMessageBox.Ok, self)
        box.setInformativeText(todo)
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()  # window-modal, does not block the event loop (workers keep reporting)

    def shortcut_table(self) -> list[tuple[str, str]]:
        """(keys, what) for every action that has a shortcut: the help shows what the code binds."""
        rows = []
        for act in self.actions_by_name.values():
            keys = ", ".join(k.toString(QKeySequence.NativeText) for k in act.shortcuts())
            if keys:
                rows.append((keys, act.text().replace("&", "")))
        return rows

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>{t}</td></tr>" for k, t in self.shortcut_table())
        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", f"<table>{rows}</table>", QMessageBox.Ok,
                          self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    def run_job(self, name: str, fn: JobFn, on_done: Callable[[object], None], what_to_do: str) -> None:
        def failed(message: str, tb: str) -> None:
            self.show_error(f"{name} failed", message, what_to_do, tb)
        self.job_bar.run(name, fn, on_done, failed)

    def _second(self) -> int:
        return max(1, int(round(self.doc.fps)))

    @property
    def video(self) -> Optional[VideoInfo]:
        return self.pipeline.video

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for f in files:
            self.recent_menu.addAction(f, lambda f=f: self.files.open_paths([Path(f)]))
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        urls: list[QUrl] = event.mimeData().urls()
        self.files.open_dropped([Path(u.toLocalFile()) for u in urls if u.isLocalFile()])
        event.acceptProposedAction()

    def open_export_dialog(self) -> None:
        if self.doc.reconstruction is None:
            raise ValueError("nothing to export: no motion is loaded")
        base = self.doc.session_path or Path.home() / "export"
        dialog = ExportDialog(self.doc.num_frames, base.with_suffix(".fbx"), self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._guarded(lambda: self.files.export_with(dialog.options())))
        self.export_dialog = dialog
        dialog.open()

    # ----- segments and navigation -----
    def step(self, frames: int) -> None:
        self.playback.pause()
        self.doc.set_frame(self.doc.frame + frames)

    def jump_segment(self, direction: int) -> None:
        seg = self.doc.neighbour_segment(direction)
        if seg is not None:
            self.playback.pause()
            self.doc.set_frame(seg.start)
            self.doc.select(seg.id)

    def add_segment_here(self) -> None:
        start = self.doc.frame
        stop = min(start + self._second(), self.doc.num_frames)
        self.doc.add_segment(start, stop)

    def split_here(self) -> None:
        seg = self.doc.selected_segment or self.doc.segment_at(self.doc.frame)
        if seg is None:
            raise ValueError("no segment under the playhead to split")
        self.doc.split_segment(seg.id, self.doc.frame)

    def merge_with_next(self) -> None:
        seg = self.doc.selected_segment
        if seg is None:
            raise ValueError("select a segment first")
        later = [s for s in self.doc.segments if s.start >= seg.start and s.id != seg.id]
        if not later:
            raise ValueError("there is no later segment to merge with")
        self.doc.merge_segments(seg.id, later[0].id)

    def delete_selected(self) -> None:
        if self.doc.selected_id:
            self.doc.delete_segment(self.doc.selected_id)

    # ----- motion jobs -----
    def infill_selected(self) -> None:
        seg = self.doc.selected_segment
        if seg is None or self.doc.reconstruction is None:
            raise ValueError("select a segment of a loaded motion first")
        fn = self.backend.infill_job(self.doc.reconstruction, seg, seg.description, self.settings.device(),
                                     contacts=self.doc.contacts(seg.id), pins=self.doc.pins)
        self._run_candidate_job(f"Infill {seg.start}–{seg.stop - 1} ({self.backend.infill_label})", fn)

    def refine_sequence(self) -> None:
        if self.doc.reconstruction is None:
            raise ValueError("load a motion first")
        fn = self.backend.refine_job(self.doc.reconstruction, list(self.doc.segments), self.settings.device(),
                                     contacts=self.doc.all_contacts(), pins=self.doc.pins)
        self._run_candidate_job(f"Refine sequence ({self.backend.refine_label})", fn)

    def _run_candidate_job(self, name: str, fn: JobFn) -> None:
        base = self.doc.reconstruction

        def done(result: object) -> None:
            if self.doc.reconstruction is not base:
                self.show_error("Result discarded", f"The motion changed while '{name}' ran.",
                                "Run it again on the current motion.")
                return
            self.doc.set_candidate(result, name)  # type: ignore[arg-type]
        self.run_job(name, fn, done, "The motion is unchanged. See the Log panel for details.")

    def regenerate_description(self, seg_id: str) -> None:
        seg = self.doc.segment(seg_id)
        if seg is None or self.describer is None or self.doc.reconstruction is None:
            return
        from inference.describe.base import DescribeInput

        recon, describer = self.doc.reconstruction, self.describer
        video = None  # the whole clip: a vision-language model also looks at the frames around the segment
        if self.video is not None and seg.stop <= self.video.num_frames:
            video = VideoFrames(self.video.path, 0, self.video.num_frames)

        def done(desc: object) -> None:
            if self.doc.segment(seg_id) is not None:
                self.doc.set_description(seg_id, desc.text, desc.author)  # type: ignore[attr-defined]
        self.run_job(f"Describing {seg.start}–{seg.stop - 1}",
                     lambda progress, cancel: describer.describe_job(  # type: ignore[attr-defined]
                         DescribeInput(recon, seg, video=video), progress, cancel),
                     done,
                     "The description is unchanged; you can type one yourself.")
        self.description.set_busy(True)
        self.job_bar.job.ended.connect(lambda: self.description.set_busy(False))

    # ----- candidate -----
    def _candidate_changed(self) -> None:
        has = self.doc.candidate is not None
        self.candidate_bar.setVisible(has)
        self.candidate_label.setText(f"Candidate: {self.doc.candidate_label}  " if has else "")
        self._update_actions()

    def _preview_changed(self, on: bool) -> None:
        act = self.actions_by_name["show_after"]
        act.blockSignals(True)
        act.setChecked(on)
        act.blockSignals(False)
        self.video_view.caption = "AFTER (candidate)" if on else ("BEFORE" if self.doc.candidate else "")
        self.video_view.update()

    # ----- state display -----
    def _show_frame_number(self, frame: int) -> None:
        self.frame_label.setText(f"frame {frame} / {max(self.doc.num_frames - 1, 0)}")

    def _update_title(self) -> None:
        name = self.doc.session_path.name if self.doc.session_path else "untitled"
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.doc.is_modified)

    def _update_actions(self) -> None:
        a, busy = self.actions_by_name, self.job_bar.busy
        has_motion = self.doc.reconstruction is not None
        has_seg = self.doc.selected_segment is not None
        a["save"].setEnabled(has_motion and not busy)
        a["save_as"].setEnabled(has_motion and not busy)
        a["export_npz"].setEnabled(has_motion)
        a["export"].setEnabled(has_motion and not busy)
        a["infill"].setEnabled(self.backend.infill is not None and has_motion and has_seg and not busy)
        a["refine"].setEnabled(self.backend.refine is not None and has_motion and not busy)
        a["swap"].setEnabled(has_motion)
        for key in ("split", "merge", "delete"):
            a[key].setEnabled(has_seg)
        has_cand = self.doc.candidate is not None
        for key in ("show_after", "accept", "discard"):
            a[key].setEnabled(has_cand)

    # ----- closing -----
    def may_replace_session(self) -> bool:
        """Before another session replaces unsaved work: ask (unless confirmations are off, as in tests)."""
        if not (self.confirm_close and self.doc.is_modified):
            return True
        answer = QMessageBox.question(self, "Unsaved changes",
                                      "The open session has unsaved changes. Discard them and open the new file?",
                                      QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Cancel)
        return answer == QMessageBox.Discard

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.confirm_close and self.doc.is_modified:
            answer = QMessageBox.question(self, "Unsaved changes", "Save the session before closing?",
                                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)
            if answer == QMessageBox.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.Save:
                event.ignore()
                self.files.save()  # the user closes again once it is saved
                return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop workers and remember the window layout (idempotent)."""
        if getattr(self, "_shut_down", False):
            return
        self._shut_down = True
        self.doc.undo_stack.cleanChanged.disconnect()
        self.playback.pause()
        if self.job_bar.job is not None:
            self.job_bar.cancel()
        self.settings.set_geometry(self.saveGeometry(), self.saveState())
        QThreadPool.globalInstance().waitForDone(30000)  # a cancelled job stops at its next check
        self.autosave.stop()
        self.autosave.discard()  # closing was confirmed: the recovery file has served its purpose
        self.pipeline.shutdown()
        self.log_panel.detach()
