"""Importing WeasyPrint without running a compiler: its C libraries found in the linker's cache.
And its C array types made without parsing C (see ArrayTypes).

WeasyPrint loads each of its C libraries (GObject, Pango, HarfBuzz, fontconfig) through cffi
by trying up to six names, one per platform. cffi asks `ctypes.util.find_library` about each
name it cannot load directly, and on Linux every name that the dynamic linker's cache lacks
makes find_library run `ldconfig -p`, then gcc and ld to link a test program against it:
22 lookups and 16 compiler runs, 0.3 s of every render process's start (measured with
strace and cProfile; docs/performance.md). While WeasyPrint imports, find_library here reads
the linker's cache once and answers from it, which is what find_library's first step does;
a library that only gcc would find (through LIBRARY_PATH) is not found this way, and
WeasyPrint then loads it by the platform's file name, as it does for all of them here.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

# The ABI that ldconfig -p prints beside a 64-bit library (as ctypes.util reads it).
_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}


@lru_cache(maxsize=1)
def linker_cache() -> str | None:
    """What `ldconfig -p` prints (the libraries the dynamic linker knows), or None without it."""
    try:
        return subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, check=True,
                              text=True, env={"LC_ALL": "C", "LANG": "C"}).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def soname_in(cache: str, name: str) -> str | None:
    """The file name of library `name` (as in -lname) in ldconfig -p's listing, for this
    machine's ABI: what ctypes.util.find_library answers from the same listing."""
    bits = "-32" if struct.calcsize("l") == 4 else "-64"
    abi = _ABI.get(os.uname().machine + bits, "libc6")
    found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(abi)}", cache)
    return found.group(1) if found else None


@contextmanager
def libraries_from_linker_cache() -> Iterator[None]:
    """While in this block, find_library answers from the linker's cache alone (on Linux,
    where it would otherwise run a compiler for every name it does not find there)."""
    cache = linker_cache() if sys.platform.startswith("linux") else None
    if cache is None:
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: soname_in(cache, name)
    try:
        yield
    finally:
        ctypes.util.find_library = original


_ARRAY = re.compile(r"\s*([A-Za-z_]\w*)\s*\[\s*(\d+)\s*\]\s*")


class ArrayTypes(dict[Any, Any]):
    """cffi's cache of the C types it has parsed (FFI._parsed_types), which makes a
    fixed-length array type, `T[n]`, from the type T without parsing C.

    WeasyPrint asks for `hb_codepoint_t[n]` with each font's glyph count as n, two or three
    times for each font of each document. Every new n is a new string to cffi, which runs
    its C parser (pycparser) on it, with a line declaring each of WeasyPrint's 64 type names:
    2-3 ms each, 20 to 60 ms of every document. The type made here is the very object cffi
    makes (tests/test_native.py)."""

    def __init__(self, ffi: Any, parsed: dict[Any, Any]):
        super().__init__(parsed)
        self.ffi = ffi

    def __missing__(self, cdecl: object) -> tuple[Any, bool]:
        found = _ARRAY.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if found is None:
            raise KeyError(cdecl)
        try:
            pointer = self.ffi.typeof(f"{found[1]} *")
        except Exception:  # noqa: BLE001 - an unknown name: cffi's own parse says so
            raise KeyError(cdecl) from None
        if pointer.item.kind not in ("primitive", "struct", "union", "enum", "pointer"):
            raise KeyError(cdecl)  # an array of functions or of void: cffi says what is wrong
        made = self[cdecl] = (self.ffi._backend.new_array_type(pointer, int(found[2])), False)
        return made

    @classmethod
    def install(cls, ffi: Any) -> None:
        """Put this cache in place of ffi's, where ffi has the cache this knows."""
        parsed = getattr(ffi, "_parsed_types", None)  # already installed: not a dict
        if type(parsed) is dict and hasattr(ffi, "_backend"):
            ffi._parsed_types = cls(ffi, parsed)


def import_weasyprint() -> None:
    """Import WeasyPrint (once per process), its libraries found as above, and its array
    types made as ArrayTypes makes them."""
    if "weasyprint" not in sys.modules:
        with libraries_from_linker_cache():
            import weasyprint  # noqa: F401
    from weasyprint.text.ffi import ffi

    ArrayTypes.install(ffi)
