"""Errors reported by the ONNX importer."""


class ImporterError(Exception):
    """A model the importer cannot translate (message is user-facing)."""


class UnsupportedError(ImporterError):
    """An operator, attribute or attribute value outside the supported set."""

    def __init__(self, op_type: str, node_name: str, detail: str,
                 supported=None):
        self.op_type = op_type
        self.node_name = node_name
        msg = f"unsupported ONNX {op_type} (node '{node_name}'): {detail}"
        if supported:
            msg += "\n  supported: " + ", ".join(sorted(supported))
        super().__init__(msg)


class DynamicShapeError(ImporterError):
    """A tensor dimension that is not known at import time."""
