# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QNT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qnt_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%qnt_lib_dir", config.qnt_lib_dir))
config.substitutions.append(("%llvm_lib_dir", config.llvm_lib_dir))
config.substitutions.append(("%qnt_src_root", config.qnt_src_root))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# QNT_LIT_OPT_FLAGS="--verify-roundtrip" re-runs every qnt-opt invocation with
# extra flags (the suite must also pass that way).
extra = os.environ.get("QNT_LIT_OPT_FLAGS", "")
tool_dirs = [config.qnt_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("qnt-opt", command=os.path.join(config.qnt_tools_dir, "qnt-opt"),
              extra_args=extra.split() if extra else []),
    ToolSubst("mlir-opt", command=os.path.join(config.llvm_tools_dir, "mlir-opt")),
    ToolSubst("mlir-runner", command=os.path.join(config.llvm_tools_dir, "mlir-runner")),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)
config.environment["PATH"] = os.pathsep.join(
    [config.qnt_tools_dir, config.llvm_tools_dir, config.environment["PATH"]])
