"""Run in a fresh interpreter: a Lambda init of every handler given, then SnapStart's hooks; print what happened.

    python -S lambda_init_probe.py '{"handlers": ["functions/x/app.py", ...], "all_modules": true}'

Each handler is imported under its own module name (every handler file is `app.py`), as many times in one process
as a Lambda runtime would once each. Then, as Lambda does before a snapshot, the registered before-snapshot hooks
run (in reverse order of registration), and the after-restore hooks (in order). Outbound connections and botocore
clients are observed, not prevented: the report says what a snapshot would have held. It is JSON on the last line.
Needs nothing but the standard library and the code under test on `sys.path` (tests run it with `python -S` and
PYTHONPATH, as the Lambda runtime puts the layer on `sys.path` without site-packages processing).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import json
import pkgutil
import socket
import sys
import time

connections: list[str] = []
_connect = socket.socket.connect


def _recording_connect(self: socket.socket, address: object) -> None:
    connections.append(repr(address))
    _connect(self, address)


socket.socket.connect = _recording_connect  # type: ignore[method-assign]


def main(spec: dict[str, object]) -> dict[str, object]:
    started = time.perf_counter()
    report: dict[str, object] = {"python": list(sys.version_info[:2])}
    if spec.get("all_modules"):
        import arbiter

        names = [m.name for m in pkgutil.walk_packages(arbiter.__path__, "arbiter.")]
        for name in names:
            importlib.import_module(name)
        report["modules"] = len(names)
    handlers = []
    for index, path in enumerate(spec.get("handlers", [])):  # type: ignore[attr-defined]
        module_spec = importlib.util.spec_from_file_location(f"handler_{index}", path)
        assert module_spec is not None
        assert module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_spec.name] = module
        module_spec.loader.exec_module(module)
        handlers.append(callable(getattr(module, "handler", None)))
    report["handlers_callable"] = handlers
    report["connections_at_import"] = list(connections)
    try:
        import snapshot_restore_py
    except ImportError:
        report["hooks"] = None
    else:
        before = snapshot_restore_py.get_before_snapshot()
        after = snapshot_restore_py.get_after_restore()
        report["hooks"] = {"before_snapshot": len(before), "after_restore": len(after)}
        for func, args, kwargs in reversed(before):
            func(*args, **kwargs)
        report["connections_before_snapshot"] = list(connections)
        report["clients_before_snapshot"] = _botocore_clients()
        report["event_handler_loaded"] = "aws_lambda_powertools.event_handler" in sys.modules
        for func, args, kwargs in after:
            func(*args, **kwargs)
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


def _botocore_clients() -> int:
    if "botocore.client" not in sys.modules:
        return 0
    base = sys.modules["botocore.client"].BaseClient
    return sum(1 for o in gc.get_objects() if isinstance(o, base))


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
