"""qnt: a quantization compiler for neural networks (Python front end).

The C++ compiler (qnt-opt, libraries) is built with CMake into ``build/``; this
package drives it through subprocesses and ctypes (Debian's MLIR has no Python
bindings).
"""

__version__ = "0.1.0"
