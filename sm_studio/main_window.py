"""The main window: assembles the views around one :class:`~sm_studio.document.Document` and wires the actions.

Everything slow runs elsewhere: video decoding (:mod:`frame_loader`) and the overlay (:mod:`overlay_worker`) on
their own threads, file reading/writing, infill/refine and descriptions as :mod:`jobs` in the thread pool. Errors
are shown as dialogs that say what went wrong and what to do; the session in memory is never dropped by a failure.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QSlider, QSplitter, QToolBar, QWidget)

from inference.io.npz import save_reconstruction
from inference.session import SESSION_SUFFIX, save_session

from .app_settings import AppSettings
from .description_panel import DescriptionPanel
from .document import Document
from .file_loading import OpenedFile, VideoInfo, open_demo, open_path
from .frame_loader import DecodedFrame, FrameLoader
from .job_bar import JobBar, JobBusy
from .jobs import JobFn
from .log_panel import LogPanel
from .motion_backends import STANDIN_LABEL, MotionBackend, describe_backend, find_backend
from .orbit_view import OrbitView
from .overlay_worker import MODES, OverlayImage, OverlayRequest, OverlayStyle, OverlayWorker
from .playback import Playback
from .preferences_dialog import PreferencesDialog
from .timeline import Timeline
from .video_reader import VideoFrames
from .video_view import VideoView

log = logging.getLogger(__name__)

APP_NAME = "SM Studio"
OPEN_FILTER = f"All supported (*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.npz *{SESSION_SUFFIX});;" \
              f"Sessions (*{SESSION_SUFFIX});;Motion (*.npz);;Video (*.mp4 *.avi *.mov *.mkv *.webm *.m4v)"


class MainWindow(QMainWindow):
    def __init__(self, settings: Optional[AppSettings] = None, backend: Optional[MotionBackend] = None,
                 playing_scale: float = 0.5) -> None:
        super().__init__()
        self.settings = settings or AppSettings()
        self.doc = Document(self)
        self.backend = backend or find_backend()
        self.describer, describer_note = describe_backend()
        self.playback = Playback(self.doc, self)
        self.frame_loader = FrameLoader()
        self.overlay_worker = OverlayWorker()
        self.playing_scale = playing_scale
        self.style = OverlayStyle()
        self._last_decoded: Optional[DecodedFrame] = None
        self.last_overlay_request: Optional[OverlayRequest] = None  # what the picture on screen was made from
        self._overlay_latency = 0.0  # seconds from overlay request to result, smoothed
        self.video: Optional[VideoInfo] = None
        self.last_error = ""  # the text of the last error dialog (tests and the log read it)
        self.overlay_note = ""
        self._open_queue: list[Path] = []
        self.confirm_close = True

        self.video_view = VideoView()
        self.orbit_view = OrbitView()
        self.timeline = Timeline(self.doc)
        self.description = DescriptionPanel(self.doc)
        self.description.set_backend(getattr(self.describer, "author", None), describer_note)
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
        if not self._layout_restored:  # first start: give the video most of the height
            self._layout_restored = True
            dock = self.findChild(QDockWidget, "dock-timeline")
            QTimer.singleShot(0, lambda: self.resizeDocks([dock], [max(200, self.height() // 4)], Qt.Vertical))

    # ----- construction -----
    def _build_layout(self) -> None:
        views = QSplitter(Qt.Vertical)
        views.addWidget(self.video_view)
        views.addWidget(self.orbit_view)
        views.setStretchFactor(0, 3)
        views.setStretchFactor(1, 2)
        main = QSplitter(Qt.Horizontal)
        main.addWidget(views)
        main.addWidget(self.description)
        main.setStretchFactor(0, 4)
        main.setStretchFactor(1, 1)
        self.setCentralWidget(main)
        for title, widget, area in (("Timeline", self.timeline, Qt.BottomDockWidgetArea),
                                    ("Log", self.log_panel, Qt.BottomDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{title.lower()}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
        self.tabifyDockWidget(self.findChild(QDockWidget, "dock-timeline"), self.findChild(QDockWidget, "dock-log"))
        timeline_dock = self.findChild(QDockWidget, "dock-timeline")
        timeline_dock.raise_()
        self.frame_label = QLabel("")
        self.statusBar().addPermanentWidget(self.frame_label)
        self.statusBar().addPermanentWidget(self.job_bar)

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
        a["open"] = self._action("&Open…", self.choose_open, QKeySequence.Open, "Open a video, a motion or a session")
        a["open_demo"] = self._action("Open &demo", self.open_demo, tip="The embedded two-person demo")
        a["save"] = self._action("&Save session", self.save, QKeySequence.Save)
        a["save_as"] = self._action("Save session &as…", self.save_as, QKeySequence.SaveAs)
        a["export_npz"] = self._action("NPZ (both people)…", lambda: self.choose_export("npz"))
        a["quit"] = self._action("&Quit", self.close, QKeySequence.Quit)
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo])
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
        note = f" — stand-in because {b.note}" if b.note else ""
        a["infill"] = self._action(f"&Infill segment ({b.infill_label})", self.infill_selected, "Ctrl+I",
                                   f"Fill in the selected segment's motion with the {b.infill_label}{note}")
        a["refine"] = self._action(f"&Refine sequence ({b.refine_label})", self.refine_sequence, "Ctrl+R",
                                   f"Clean the whole sequence with the {b.refine_label}{note}")
        a["infill"].setIconText("Infill" if b.infill_label != STANDIN_LABEL else f"Infill: {STANDIN_LABEL}")
        a["refine"].setIconText("Refine" if b.refine_label != STANDIN_LABEL else f"Refine: {STANDIN_LABEL}")
        show_after = QAction("Show after (candidate)", self, checkable=True)
        show_after.setShortcut(QKeySequence("C"))
        show_after.setToolTip("Toggle between the motion before and after the candidate")
        show_after.toggled.connect(self.doc.set_preview_candidate)
        self.addAction(show_after)
        a["show_after"] = show_after
        a["accept"] = self._action("Accept candidate", self.doc.accept_candidate, "Ctrl+Return")
        a["discard"] = self._action("Discard candidate", self.doc.discard_candidate)

    def _build_menus(self) -> None:
        a = self.actions_by_name
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(a["open"])
        file_menu.addAction(a["open_demo"])
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(a["save"])
        file_menu.addAction(a["save_as"])
        export_menu = file_menu.addMenu("&Export")
        export_menu.addAction(a["export_npz"])
        for fmt in self._extra_export_formats():
            act = self._action(f"{fmt.upper()}…", lambda f=fmt: self.choose_export(f))
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
        for key in ("infill", "refine", None, "show_after", "accept", "discard"):
            motion.addSeparator() if key is None else motion.addAction(a[key])

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
        for w in (self.overlay_check, QLabel("Opacity"), self.opacity_slider, self.mode_combo,
                  *self.person_checks.values()):
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
        for key in ("show_after", "accept", "discard"):
            cand.addAction(a[key])
        self.candidate_bar = cand
        cand.setVisible(False)

    def _connect(self) -> None:
        d = self.doc
        d.frameChanged.connect(self._request_frame)
        d.reconstructionChanged.connect(self._request_frame)
        d.candidateChanged.connect(self._candidate_changed)
        d.previewCandidateChanged.connect(self._preview_changed)
        d.undo_stack.cleanChanged.connect(lambda _clean: self._update_title())
        d.selectionChanged.connect(lambda _id: self._update_actions())
        d.segmentsChanged.connect(self._update_actions)
        d.reconstructionChanged.connect(self._update_actions)
        self.timeline.frameRequested.connect(d.set_frame)
        self.frame_loader.resultReady.connect(self._frame_ready)
        self.frame_loader.failed.connect(lambda _r, msg: self.statusBar().showMessage(f"Video: {msg}", 5000))
        self.overlay_worker.resultReady.connect(self._overlay_ready)
        self.overlay_worker.failed.connect(lambda _r, msg: self._set_overlay_note(f"overlay failed: {msg}"))
        self.overlay_check.toggled.connect(lambda _on: self._restyle())
        self.opacity_slider.valueChanged.connect(lambda v: self._set_style(opacity=v / 100))
        self.playback.playingChanged.connect(self._playing_changed)
        self.mode_combo.currentTextChanged.connect(lambda m: self._set_style(mode=m))
        for c in self.person_checks.values():
            c.toggled.connect(lambda _on: self._set_style(visible=tuple(
                self.person_checks[p].isChecked() for p in ("A", "B"))))
        self.description.regenerateRequested.connect(self.regenerate_description)
        self.job_bar.busyChanged.connect(lambda _busy: self._update_actions())

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
        log.error("%s: %s", title, what)
        box = QMessageBox(QMessageBox.Warning, title, what, QMessageBox.Ok, self)
        box.setInformativeText(todo)
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()  # window-modal, does not block the event loop (workers keep reporting)

    def run_job(self, name: str, fn: JobFn, on_done: Callable[[object], None], what_to_do: str) -> None:
        def failed(message: str, tb: str) -> None:
            self.show_error(f"{name} failed", message, what_to_do, tb)
        self.job_bar.run(name, fn, on_done, failed)

    def _second(self) -> int:
        return max(1, int(round(self.doc.fps)))

    # ----- files -----
    def choose_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", "", OPEN_FILTER)
        if path:
            self.open_paths([Path(path)])

    def open_paths(self, paths: list[Path]) -> None:
        """Open files one after the other (a dropped video + motion pair opens both)."""
        self._open_queue.extend(Path(p) for p in paths)
        if not self.job_bar.busy:
            self._open_next()

    def _open_next(self) -> None:
        if not self._open_queue:
            return
        path = self._open_queue.pop(0)
        self.run_job(f"Opening {path.name}", lambda _p, _c: open_path(path), self._opened,
                     "Check that the file exists and is a video, a motion .npz or a session.")
        self.job_bar.job.ended.connect(self._open_next)

    def open_demo(self) -> None:
        """The embedded demo as an unsaved session (generated once into the user's cache if not shipped)."""
        self.run_job("Opening the demo", lambda _p, _c: open_demo(), self._opened,
                     "The demo files could not be prepared; open a video and a motion file instead (File ▸ Open).")

    def _opened(self, opened: OpenedFile) -> None:
        if opened.kind == "demo":
            self.doc.load_session(opened.session)
            self._attach_video(opened.video)
            log.info("opened the demo (%s)", opened.path.parent)
            return
        self.settings.add_recent(opened.path)
        if opened.kind == "video":
            self._attach_video(opened.video)
        elif opened.kind == "motion":
            if self.doc.reconstruction is None:
                self.doc.load(opened.reconstruction, video_path=self.video.path if self.video else None)
            else:
                self.doc.import_reconstruction(opened.reconstruction)
            self._check_lengths()
        else:
            self.doc.load_session(opened.session, opened.path)
            self._attach_video(opened.video)
            if opened.session.video_path and opened.video is None:
                self.show_error("Video not found", f"The session's video {opened.session.video_path} could not be "
                                "opened.", "The motion is loaded; open the video file to see the footage.")
        log.info("opened %s (%s)", opened.path, opened.kind)

    def _attach_video(self, info: Optional[VideoInfo]) -> None:
        self.video = info
        if info is None:
            self.video_view.clear("No video: the overlay is drawn on black.")
            self.doc.set_video(None, 0, 0)
        else:
            self.doc.set_video(info.path, info.num_frames, info.fps)
        self._check_lengths()
        self._request_frame()

    def _check_lengths(self) -> None:
        r = self.doc.reconstruction
        if r is not None and self.video is not None and r.num_frames != self.video.num_frames:
            log.warning("the motion has %d frames, the video %d: frames are matched by index",
                        r.num_frames, self.video.num_frames)

    def save(self) -> None:
        if self.doc.session_path is None:
            self.save_as()
        else:
            self.save_to(self.doc.session_path)

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session", "", f"Sessions (*{SESSION_SUFFIX})")
        if path:
            self.save_to(Path(path).with_suffix(SESSION_SUFFIX))

    def save_to(self, path: Path) -> None:
        session = self.doc.to_session()  # snapshot of immutable values: safe to write from a worker
        index = self.doc.undo_stack.index()

        def saved(_result: object) -> None:
            if self.doc.undo_stack.index() == index:
                self.doc.mark_saved(path)
            else:
                self.doc.session_path = Path(path)
            self.settings.add_recent(path)
            self._update_title()
            self.statusBar().showMessage(f"Saved {path}", 5000)

        self.run_job(f"Saving {Path(path).name}", lambda _p, _c: save_session(session, path), saved,
                     "Choose another folder (is this one writable, is the disk full?). Your session is still open.")

    def choose_export(self, fmt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export {fmt.upper()}", "", f"{fmt.upper()} (*.{fmt})")
        if path:
            self.export_to(Path(path).with_suffix(f".{fmt}"), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        recon = self.doc.reconstruction
        if recon is None:
            raise ValueError("nothing to export: no motion is loaded")
        if fmt == "npz":
            fn: JobFn = lambda _p, _c: save_reconstruction(recon, path)  # noqa: E731
        else:
            session = self.doc.to_session()

            def fn(progress, cancel):  # type: ignore[no-redef]
                from inference.export import export
                return export(session, path, fmt, version="corrected",
                              progress=lambda done, total: progress(done / max(total, 1), f"{done}/{total}"),
                              cancel=cancel)
        self.run_job(f"Exporting {path.name}", fn, lambda _r: self.statusBar().showMessage(f"Exported {path}", 5000),
                     "Check the folder is writable; the session is unchanged.")

    @staticmethod
    def _extra_export_formats() -> list[str]:
        try:
            from inference.export import FORMATS
        except ImportError:
            return []
        return [f for f in dict.fromkeys(FORMATS.values()) if f != "npz"]

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for f in files:
            self.recent_menu.addAction(f, lambda f=f: self.open_paths([Path(f)]))
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        urls: list[QUrl] = event.mimeData().urls()
        paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        order = {"video": 0, "motion": 1}  # footage first, so a motion dropped with it lands on it
        self.open_paths(sorted(paths, key=lambda p: order.get(_suffix_kind(p), 2)))
        event.acceptProposedAction()

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
        fn = self.backend.infill_job(self.doc.reconstruction, seg, seg.description)
        self._run_candidate_job(f"Infill {seg.start}–{seg.stop - 1} ({self.backend.infill_label})", fn)

    def refine_sequence(self) -> None:
        if self.doc.reconstruction is None:
            raise ValueError("load a motion first")
        fn = self.backend.refine_job(self.doc.reconstruction, list(self.doc.segments))
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
        frames = None
        if self.video is not None and seg.stop <= self.video.num_frames:
            frames = VideoFrames(self.video.path, seg.start, seg.stop)
        self.description.set_busy(True)

        def done(desc: object) -> None:
            self.description.set_busy(False)
            if self.doc.segment(seg_id) is not None:
                self.doc.set_description(seg_id, desc.text, desc.author)  # type: ignore[attr-defined]
        self.run_job(f"Describing {seg.start}–{seg.stop - 1}",
                     lambda _p, _c: describer.describe(DescribeInput(recon, seg, frames)), done,  # type: ignore[attr-defined]
                     "The description is unchanged; you can type one yourself.")
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

    # ----- frame pipeline -----
    def _overlay_wanted(self) -> bool:
        return self.overlay_check.isChecked() and self.doc.shown_reconstruction is not None

    def _request_frame(self, *_: object) -> None:
        """Ask for the current frame: decoded video first (its result triggers the overlay), or the overlay
        alone on a plain background when there is no video."""
        frame = self._frame_to_fetch()
        if self.video is not None:
            self.frame_loader.request(self.video.path, frame)
        elif self._overlay_wanted():
            self.overlay_worker.submit(OverlayRequest(self.doc.shown_reconstruction, frame, self.style))
        self.frame_label.setText(f"frame {self.doc.frame} / {max(self.doc.num_frames - 1, 0)}")

    def _frame_to_fetch(self) -> int:
        """While playing with the overlay, ask for the frame the clock will have reached when its composite is
        ready (the measured overlay latency ahead), so the picture does not trail the playhead by a render."""
        frame = self.doc.frame
        if not (self.playback.playing and self._overlay_wanted()):
            return frame
        lead = round(self._overlay_latency * self.doc.fps * self.playback.speed)
        return min(max(frame + lead, 0), max(self.doc.num_frames - 1, 0))

    def _frame_ready(self, _request: object, decoded: DecodedFrame) -> None:
        self._last_decoded = decoded
        if not self._overlay_wanted():
            self.video_view.set_frame(decoded.index, decoded.image)
            return
        if not self.playback.playing and self.video_view.frame_index != decoded.index:
            self.video_view.set_frame(decoded.index, decoded.image)  # instant feedback while scrubbing
        self.overlay_worker.submit(
            OverlayRequest(self.doc.shown_reconstruction, decoded.index, self.style, decoded.rgb))

    def _overlay_ready(self, request: OverlayRequest, overlay: OverlayImage) -> None:
        self.last_overlay_request = request
        latency = time.perf_counter() - request.submitted
        self._overlay_latency = 0.7 * self._overlay_latency + 0.3 * latency
        if self._overlay_wanted():
            self.video_view.set_frame(overlay.frame, overlay.image, composited=True)
        self.orbit_view.set_joints(overlay.joints, self.style.visible)
        self._set_overlay_note(overlay.note)

    def _set_overlay_note(self, note: str) -> None:
        if note and note != self.overlay_note:
            log.warning("overlay: %s", note)
        self.overlay_note = note
        self.mode_combo.setToolTip(note or "How the bodies are drawn over the video")

    def _restyle(self) -> None:
        """Re-composite the frame on screen after a style change, without decoding it again."""
        decoded = self._last_decoded
        if self._overlay_wanted() and decoded is not None and decoded.index == self.doc.frame:
            self.overlay_worker.submit(
                OverlayRequest(self.doc.shown_reconstruction, decoded.index, self.style, decoded.rgb))
        else:
            self._request_frame()

    def _set_style(self, **changes: object) -> None:
        self.style = replace(self.style, **changes)
        self._restyle()

    def _playing_changed(self, playing: bool) -> None:
        """Lower overlay resolution while playing (fluid), full resolution when paused (sharp)."""
        self._set_style(scale=self.playing_scale if playing else 1.0)

    # ----- state display -----
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
        a["infill"].setEnabled(has_motion and has_seg and not busy)
        a["refine"].setEnabled(has_motion and not busy)
        a["swap"].setEnabled(has_motion)
        for key in ("split", "merge", "delete"):
            a[key].setEnabled(has_seg)
        has_cand = self.doc.candidate is not None
        for key in ("show_after", "accept", "discard"):
            a[key].setEnabled(has_cand)

    # ----- closing -----
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.confirm_close and self.doc.is_modified:
            answer = QMessageBox.question(self, "Unsaved changes", "Save the session before closing?",
                                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)
            if answer == QMessageBox.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.Save:
                event.ignore()
                self.save()  # the user closes again once it is saved
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
        self.frame_loader.stop()
        self.overlay_worker.stop()
        self.log_panel.detach()


def _suffix_kind(path: Path) -> str:
    from .file_loading import kind_of
    try:
        return kind_of(path)
    except ValueError:
        return "other"
