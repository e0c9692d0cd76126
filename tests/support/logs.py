"""Every log record the process writes while a test runs (the local stack's functions run in the test's process),
so a test can say what never reaches a log: a token, a link."""

from __future__ import annotations

import logging


class EveryLog(logging.Handler):
    """Every record of every logger that exists when it is entered (the stack's functions' included: call each
    function once first), with the record's extra fields."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.loggers = [logging.getLogger()] + [
            lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
        ]

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")

    def __enter__(self) -> EveryLog:
        for logger in self.loggers:
            logger.addHandler(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        for logger in self.loggers:
            logger.removeHandler(self)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
