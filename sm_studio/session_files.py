"""File work of the window: open (video, motion, session, demo), save, export — each as a background job.

Reading and writing run in the thread pool (:mod:`sm_studio.jobs`); on failure the window shows what went wrong
and what to do, and the session in memory is left exactly as it was. Several paths given at once (command line,
drag and drop) open one after the other, footage first so a motion dropped with it lands on it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtWidgets import QFileDialog

from inference.io.npz import save_reconstruction
from inference.session import SESSION_SUFFIX, Session, load_session, save_session
from inference.video import VideoError, VideoInfo, probe_video

from .export_dialog import ExportOptions
from .file_loading import OpenedFile, kind_of, open_demo, open_path
from .jobs import JobFn

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

OPEN_FILTER = f"All supported (*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.npz *{SESSION_SUFFIX});;" \
              f"Sessions (*{SESSION_SUFFIX});;Motion (*.npz);;Video (*.mp4 *.avi *.mov *.mkv *.webm *.m4v)"


class SessionFiles:
    def __init__(self, window: "MainWindow") -> None:
        self._w = window
        self.queue: list[Path] = []
        self.last_export: list[Path] = []  # the files the last export wrote

    def choose_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._w, "Open", "", OPEN_FILTER)
        if path:
            self.open_paths([Path(path)])

    def open_paths(self, paths: list[Path]) -> None:
        """Open files one after the other (a dropped video + motion pair opens both)."""
        self.queue.extend(Path(p) for p in paths)
        if not self._w.job_bar.busy:
            self._open_next()

    def _open_next(self) -> None:
        if not self.queue:
            return
        path = self.queue.pop(0)
        self._w.run_job(f"Opening {path.name}", lambda _p, _c: open_path(path), self._opened,
                        "Check that the file exists and is a video, a motion .npz or a session.")
        self._w.job_bar.job.ended.connect(self._open_next)

    def open_demo(self) -> None:
        """The embedded demo as an unsaved session (generated once into the user's cache if not shipped)."""
        self._w.run_job("Opening the demo", lambda _p, _c: open_demo(), self._opened,
                        "The demo files could not be prepared; open a video and a motion file instead.")

    def restore(self, path: Path) -> None:
        """Reopen an autosaved recovery file as an unsaved session (saving asks where)."""
        def read(_progress, _cancel) -> tuple[Session, Optional[VideoInfo]]:
            session = load_session(path)
            return session, _video_of(session)

        def restored(result: object) -> None:
            session, video = result  # type: ignore[misc]
            self._w.doc.load_session(session)
            self._w.doc.undo_stack.resetClean()  # unsaved work: closing asks again
            self._attach_video(video)
            self._w.autosave.retire(path)  # once this instance's recovery file holds the work
        self._w.run_job("Restoring the unsaved session", read, restored,
                        f"The recovery file {path} could not be read; it is left in place.")

    def _opened(self, opened: OpenedFile) -> None:
        replaces = opened.kind in ("demo", "session") or (
            opened.kind == "motion" and self._w.doc.reconstruction is None)
        if replaces and not self._w.may_replace_session():
            return
        if opened.kind == "demo":
            self._w.doc.load_session(opened.session)
            self._attach_video(opened.video)
            log.info("opened the demo (%s)", opened.path.parent)
            return
        self._w.settings.add_recent(opened.path)
        if opened.kind == "video":
            self._attach_video(opened.video)
        elif opened.kind == "motion":
            if self._w.doc.reconstruction is None:
                self._w.doc.load(opened.reconstruction, video_path=self._w.video.path if self._w.video else None)
            else:
                self._w.doc.import_reconstruction(opened.reconstruction)
            self._check_lengths()
        else:
            self._w.doc.load_session(opened.session, opened.path)
            self._attach_video(opened.video)
            if opened.session.video_path and opened.video is None:
                self._w.show_error("Video not found",
                                   f"The session's video {opened.session.video_path} could not be opened.",
                                   "The motion is loaded; open the video file to see the footage.")
        log.info("opened %s (%s)", opened.path, opened.kind)

    def _attach_video(self, info: Optional[VideoInfo]) -> None:
        if info is None:
            self._w.doc.set_video(None, 0, 0)
        else:
            self._w.doc.set_video(info.path, info.num_frames, info.fps)
            if info.fps_guessed:
                log.warning("%s: the video gives no usable frame rate; assuming %g fps", info.path, info.fps)
        self._w.pipeline.set_video(info)
        self._check_lengths()

    def _check_lengths(self) -> None:
        r = self._w.doc.reconstruction
        if r is not None and self._w.video is not None and r.num_frames != self._w.video.num_frames:
            log.warning("the motion has %d frames, the video %d: frames are matched by index",
                        r.num_frames, self._w.video.num_frames)

    def save(self) -> None:
        if self._w.doc.session_path is None:
            self.save_as()
        else:
            self.save_to(self._w.doc.session_path)

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self._w, "Save session", "", f"Sessions (*{SESSION_SUFFIX})")
        if path:
            self.save_to(Path(path).with_suffix(SESSION_SUFFIX))

    def save_to(self, path: Path) -> None:
        session = self._w.doc.to_session()  # snapshot of immutable values: safe to write from a worker
        index = self._w.doc.undo_stack.index()

        def saved(_result: object) -> None:
            if self._w.doc.undo_stack.index() == index:
                self._w.doc.mark_saved(path)
            else:
                self._w.doc.session_path = Path(path)
            self._w.settings.add_recent(path)
            self._w._update_title()
            self._w.statusBar().showMessage(f"Saved {path}", 5000)

        self._w.run_job(f"Saving {Path(path).name}", lambda _p, _c: save_session(session, path), saved,
                        "Choose another folder (writable? disk full?). Your session is still open.")

    def choose_export(self, fmt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self._w, f"Export {fmt.upper()}", "", f"{fmt.upper()} (*.{fmt})")
        if path:
            self.export_to(Path(path).with_suffix(f".{fmt}"), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        recon = self._w.doc.reconstruction
        if recon is None:
            raise ValueError("nothing to export: no motion is loaded")
        if fmt == "npz":
            fn: JobFn = lambda _p, _c: (save_reconstruction(recon, path), [path])[1]  # noqa: E731
            self._run_export(path, fn)
        else:
            self.export_with(ExportOptions(path, fmt))

    def export_with(self, options: ExportOptions) -> None:
        """Export as the dialog (or the menu) asked; the status bar names the files really written."""
        session = self._w.doc.to_session()

        def fn(progress, cancel) -> list[Path]:
            from inference.export import export
            return export(session, options.path, options.format, version=options.version, people=options.people,
                          frames=options.frames, up=options.up, units=options.units,
                          progress=lambda done, total: progress(done / max(total, 1), f"{done}/{total}"),
                          cancel=cancel)
        self._run_export(options.path, fn)

    def _run_export(self, path: Path, fn: JobFn) -> None:
        def done(written: object) -> None:
            self.last_export = list(written)  # type: ignore[call-overload]
            names = ", ".join(str(p) for p in self.last_export)
            self._w.statusBar().showMessage(f"Exported {names}", 15000)
        self._w.run_job(f"Exporting {path.name}", fn, done, "Check the folder is writable; the session is unchanged.")

    @staticmethod
    def extra_export_formats() -> list[str]:
        try:
            from inference.export import FORMATS
        except ImportError:
            return []
        return [f for f in dict.fromkeys(FORMATS.values()) if f != "npz"]

    def open_dropped(self, paths: list[Path]) -> None:
        order = {"video": 0, "motion": 1}
        self.open_paths(sorted(paths, key=lambda p: order.get(_kind_or_other(p), 2)))


def _kind_or_other(path: Path) -> str:
    try:
        return kind_of(path)
    except ValueError:
        return "other"


def _video_of(session: Session) -> Optional[VideoInfo]:
    if not session.video_path:
        return None
    try:
        return probe_video(Path(session.video_path))
    except VideoError:
        return None
