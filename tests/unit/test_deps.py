"""`make deps` (scripts/deps.sh): installs chromium, chromedriver and redis-server or stops before pytest.

A machine without chromium is simulated with a PATH of a temporary folder that holds only the
programs the script and make need, plus fake ``id`` (to be root or not) and ``apt-get`` (records
its arguments and "installs" by writing stub programs into the same folder).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "deps.sh"


def _bin(tmp_path: Path, *, uid: int, present: tuple[str, ...] = (), apt_ok: bool = True) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for prog in ("bash", "make", "env", "cat", "touch", "chmod"):
        real = shutil.which(prog)
        assert real, prog
        (bin_dir / prog).symlink_to(real)
    (bin_dir / "python3").symlink_to(sys.executable)  # venv + ensurepip are importable
    (bin_dir / "id").write_text(f"#!{shutil.which('bash')}\necho {uid}\n")
    for prog in present:
        (bin_dir / prog).write_text(f"#!{shutil.which('bash')}\nexit 0\n")
    log = tmp_path / "apt.log"
    stub = {"chromium": "chromium", "chromium-driver": "chromedriver", "redis-server": "redis-server"}
    install = "".join(
        f'    {pkg}) printf "#!{shutil.which("bash")}\\nexit 0\\n" > "{bin_dir}/{prog}"; chmod +x "{bin_dir}/{prog}";;\n'
        for pkg, prog in stub.items()
    )
    (bin_dir / "apt-get").write_text(
        f"#!{shutil.which('bash')}\n"
        f'echo "$*" >> "{log}"\n'
        + ("" if apt_ok else "exit 100\n")
        + 'if [ "$1" = install ]; then for p in "$@"; do case "$p" in\n'
        + install
        + "  esac; done; fi\n"
    )
    for f in bin_dir.iterdir():
        if not f.is_symlink():
            f.chmod(0o755)
    return bin_dir


def _run(cmd: list[str], bin_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_dep001_not_root_stops_with_exact_command(tmp_path):
    bin_dir = _bin(tmp_path, uid=1000, present=("redis-server",))
    res = _run([str(bin_dir / "bash"), str(SCRIPT)], bin_dir)
    assert res.returncode == 1
    assert "missing chromium chromium-driver" in res.stderr
    assert "sudo sh -c 'apt-get update && apt-get install -y chromium chromium-driver'" in res.stderr
    assert not (tmp_path / "apt.log").exists()  # nothing was attempted


def test_dep002_root_installs_missing_packages_only(tmp_path):
    bin_dir = _bin(tmp_path, uid=0, present=("chromium",))
    res = _run([str(bin_dir / "bash"), str(SCRIPT)], bin_dir)
    assert res.returncode == 0, res.stderr
    assert "installing chromium-driver redis-server" in res.stdout
    calls = (tmp_path / "apt.log").read_text().splitlines()
    assert calls == ["update -qq", "install -y -qq chromium-driver redis-server"]
    assert (bin_dir / "chromedriver").exists() and (bin_dir / "redis-server").exists()


def test_dep003_nothing_missing_does_nothing(tmp_path):
    bin_dir = _bin(tmp_path, uid=0, present=("chromium", "chromedriver", "redis-server"))
    res = _run([str(bin_dir / "bash"), str(SCRIPT)], bin_dir)
    assert res.returncode == 0 and res.stdout == "" and res.stderr == ""
    assert not (tmp_path / "apt.log").exists()


def test_dep004_failed_apt_get_says_what_to_run(tmp_path):
    bin_dir = _bin(tmp_path, uid=0, present=("redis-server",), apt_ok=False)
    res = _run([str(bin_dir / "bash"), str(SCRIPT)], bin_dir)
    assert res.returncode == 1
    assert "apt-get update && apt-get install -y chromium chromium-driver" in res.stderr


@pytest.mark.parametrize("target", ["test", "test-browser"])
def test_dep005_make_test_stops_before_pytest(tmp_path, target):
    bin_dir = _bin(tmp_path, uid=1000, present=("redis-server",))
    res = _run([str(bin_dir / "make"), "--no-print-directory", target], bin_dir)
    assert res.returncode != 0
    assert "deps: missing chromium chromium-driver" in res.stderr
    assert "pytest" not in res.stdout + res.stderr  # stopped before the venv and any test
