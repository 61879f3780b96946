"""Locating qnt's own build products and the LLVM 22 tools it drives."""

import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LLVM_BIN = Path(os.environ.get("QNT_LLVM_BIN", "/usr/lib/llvm-22/bin"))


class ToolNotFound(RuntimeError):
    pass


def build_dir() -> Path:
    """The CMake build directory: $QNT_BUILD_DIR or <repo>/build."""
    return Path(os.environ.get("QNT_BUILD_DIR", REPO_ROOT / "build"))


def qnt_tool(name: str) -> Path:
    """A tool built by qnt's CMake build, e.g. ``qnt_tool("qnt-opt")``."""
    path = build_dir() / "bin" / name
    if not path.exists():
        raise ToolNotFound(
            f"{path} does not exist: build qnt first (scripts/build.sh) "
            f"or set QNT_BUILD_DIR")
    return path


def llvm_tool(name: str) -> Path:
    """An LLVM/MLIR 22 tool such as ``mlir-translate`` or ``clang``."""
    path = LLVM_BIN / name
    if path.exists():
        return path
    found = shutil.which(f"{name}-22")
    if found:
        return Path(found)
    raise ToolNotFound(f"LLVM 22 tool '{name}' not found in {LLVM_BIN}: "
                       f"run scripts/install-deps.sh")
