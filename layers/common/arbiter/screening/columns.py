"""Compact columns for a million-name list: strings packed in one UTF-8 buffer, lists as offsets.

A Python `str` per listed name, alias, id and date would cost about 60 bytes of overhead each, several hundred
megabytes for a large list; packed in numpy buffers the same data is its UTF-8 size plus 8 bytes of offset,
loads from a file with no per-string work, and is decoded only for the few entries a query touches.
"""

from __future__ import annotations

from array import array

import numpy as np

__all__ = ["PackedStrings", "PackedStringsBuilder", "RaggedBuilder"]


class PackedStrings:
    """A read-only sequence of strings stored as one UTF-8 buffer and their end offsets."""

    __slots__ = ("data", "offsets")

    def __init__(self, data: np.ndarray, offsets: np.ndarray) -> None:
        self.data = data  # uint8
        self.offsets = offsets  # int64, len = count + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.data[self.offsets[i] : self.offsets[i + 1]].tobytes().decode("utf-8")

    def slice(self, start: int, stop: int) -> tuple[str, ...]:
        """Strings `start` to `stop` (exclusive)."""
        return tuple(self[i] for i in range(start, stop))

    def to_list(self) -> list[str]:
        """Every string, decoded (used to rebuild lookup tables on load)."""
        raw = self.data.tobytes()
        offs = self.offsets.tolist()
        return [raw[offs[i] : offs[i + 1]].decode("utf-8") for i in range(len(offs) - 1)]


class PackedStringsBuilder:
    """Appends strings, then freezes them into `PackedStrings`."""

    __slots__ = ("_buffer", "_offsets")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._offsets = array("q", [0])

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def append(self, value: str) -> None:
        """Add one string."""
        self._buffer += value.encode("utf-8")
        self._offsets.append(len(self._buffer))

    def extend(self, values: tuple[str, ...] | list[str]) -> None:
        """Add several strings."""
        for value in values:
            self.append(value)

    def build(self) -> PackedStrings:
        """The frozen column."""
        return PackedStrings(np.frombuffer(bytes(self._buffer), dtype=np.uint8), _to_numpy(self._offsets))


class RaggedBuilder:
    """Rows of integers of varying length (a CSR layout): values and row end offsets."""

    __slots__ = ("_offsets", "_values")

    def __init__(self, typecode: str = "i") -> None:
        self._values = array(typecode)
        self._offsets = array("q", [0])

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def append(self, row: list[int] | tuple[int, ...]) -> None:
        """Add one row."""
        self._values.extend(row)
        self._offsets.append(len(self._values))

    def build(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, offsets) as numpy arrays."""
        return _to_numpy(self._values), _to_numpy(self._offsets)


def _to_numpy(values: array) -> np.ndarray:
    # The array's buffer is shared, not copied: the builder is dropped once built.
    return np.frombuffer(values, dtype=np.dtype(values.typecode))
