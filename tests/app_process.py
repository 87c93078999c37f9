"""The real app as a child process (``sm-studio -v open … --exec-script SCRIPT``) with its own settings and data
folder (``XDG_CONFIG_HOME``/``XDG_DATA_HOME``), its output collected line by line: for the crash and start-up
tests, which must see what a user's process really does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class App:
    """The real app as a child process, its output (stdout + stderr) collected line by line in a thread."""

    def __init__(self, tmp: Path, files: list[Path], script: str, interval_s: float = 0.3, **values: object) -> None:
        """``script`` runs inside the app with ``values`` (and ``sys_out_dir``, where it writes) defined."""
        self.out = tmp / "states"
        self.out.mkdir(exist_ok=True)
        config = tmp / "config" / "SM Studio"
        config.mkdir(parents=True, exist_ok=True)
        (config / "SM Studio.conf").write_text(f"[autosave]\nintervalSeconds={interval_s}\n")
        script_file = tmp / f"script-{len(list(tmp.glob('script-*.py')))}.py"
        values["sys_out_dir"] = str(self.out)
        script_file.write_text("".join(f"{k} = {v!r}\n" for k, v in values.items()) + script)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp / "config"),
                   XDG_DATA_HOME=str(tmp / "data"), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "sm_studio", "-v", "open", *map(str, files),
                                      "--exec-script", str(script_file)], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, condition, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError("the app exited early:\n" + "\n".join(self.lines[-40:]))
            if time.monotonic() > end:
                raise AssertionError("timed out; app output:\n" + "\n".join(self.lines[-40:]))
            time.sleep(0.02)

    def autosaved(self) -> list[int]:
        return [int(m.group(1)) for line in list(self.lines) if (m := re.search(r"autosaved undo step (\d+)", line))]

    def edits(self) -> int:
        return sum(line.startswith("EDIT ") for line in list(self.lines))

    def said(self, word: str) -> bool:
        return any(line.startswith(word) for line in list(self.lines))

    def recovery_path(self) -> Path:
        return Path(next(line[len("RECOVERY "):] for line in self.lines if line.startswith("RECOVERY ")))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)
