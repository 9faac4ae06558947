"""Importing WeasyPrint without running a compiler: its C libraries found in the linker's cache.
And its simple C types made without parsing C (see SimpleTypes).

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
import importlib
import os
import re
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from types import ModuleType
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


# A type name (one or more words), pointer stars, and an optional array suffix: `T`, `T *`,
# `unsigned int *`, `T[]`, `T[n]`, `T *[n]`.
_SIMPLE = re.compile(r"\s*([A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)*)\s*((?:\*\s*)*)(?:\[\s*(\d*)\s*\]\s*)?")


class SimpleTypes(dict[Any, Any]):
    """cffi's cache of the C types it has parsed (FFI._parsed_types), which makes the simple
    ones (a declared name, pointers to it, an array of it) from cffi's own type model
    without parsing C.

    Every type string new to cffi goes through its C parser (pycparser), behind a line
    declaring each of WeasyPrint's 64 type names: 2-3 ms a string. WeasyPrint asks for
    `hb_codepoint_t[n]` with each font's glyph count as n, two or three times for each font
    of each document (20 to 60 ms of every document), and for about eight other types in
    each process's first document (17 ms). The type made here is the very object cffi's
    parse makes (tests/test_native.py); anything else (qualifiers, functions, void, unknown
    names) is left to the parse, and to its errors."""

    def __init__(self, ffi: Any, parsed: dict[Any, Any]):
        super().__init__(parsed)
        self.ffi = ffi

    def __missing__(self, cdecl: object) -> tuple[Any, bool]:
        found = _SIMPLE.fullmatch(cdecl) if isinstance(cdecl, str) else None
        made = self._model(found[1], found[2].count("*"), found[3]) if found else None
        if made is None:
            raise KeyError(cdecl)
        with self.ffi._lock:  # as cffi's own parse holds it  # noqa: SLF001
            result = self[cdecl] = (self.ffi._get_cached_btype(made), False)  # noqa: SLF001
        return result

    def _model(self, name: str, stars: int, length: str | None) -> Any:
        """The cffi model of `name` with stars pointers and, unless length is None, an
        array of length (empty: unsized), as cffi's parser builds it; None where it differs."""
        from cffi import model

        name = " ".join(name.split())
        declared = self.ffi._parser._declarations.get(f"typedef {name}")  # noqa: SLF001
        if declared is not None and " " not in name:  # a typedef name wins, as in the parser
            made, qualifiers = declared
            data = (model.PrimitiveType, model.StructOrUnion, model.EnumType, model.PointerType)
            if qualifiers or not isinstance(made, data):  # not a function, not void
                return None
        elif name in model.PrimitiveType.ALL_PRIMITIVE_TYPES:
            made = model.PrimitiveType(name)
        else:
            return None
        for _ in range(stars):
            made = model.PointerType(made)
        if length is not None:
            made = model.ArrayType(made, int(length) if length else None)
        return made

    @classmethod
    def install(cls, ffi: Any) -> None:
        """Put this cache in place of ffi's, where ffi has the cache this knows."""
        parsed = getattr(ffi, "_parsed_types", None)  # already installed: not a dict
        if type(parsed) is dict and hasattr(ffi, "_backend") and hasattr(ffi, "_parser"):
            ffi._parsed_types = cls(ffi, parsed)


# What WeasyPrint takes from fontTools' subsetter and variable-font instancer, which it
# imports (60 ms of its import, with the fontTools.varLib they pull in) and calls only for
# what HarfBuzz does not do for it: a font HarfBuzz cannot subset, a variable font made
# static. The fonts hscourse uses need neither.
ON_FIRST_CALL = {"fontTools.subset": ("Options", "Subsetter"),
                 "fontTools.varLib.instancer": ("instantiateVariableFont",)}


def _on_first_call(module: str, name: str) -> Callable[..., Any]:
    """A function that imports module when first called, and calls its attribute name."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


@contextmanager
def imported_on_first_call(modules: dict[str, tuple[str, ...]]) -> Iterator[None]:
    """While in this block, importing one of modules (not imported yet) gives a stand-in
    whose named attributes import the module when first called. (importlib's LazyLoader
    cannot do this: the import statement itself looks into a lazy module, which runs it.)
    Outside the block the modules import as usual."""
    stand_ins = {}
    for module, names in modules.items():
        if module not in sys.modules:
            stand_ins[module] = sys.modules[module] = ModuleType(module)
            for name in names:
                setattr(stand_ins[module], name, _on_first_call(module, name))
    try:
        yield
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]


def import_weasyprint() -> None:
    """Import WeasyPrint (once per process), its libraries found as above, fontTools'
    rarely used parts on first use, and its simple C types made as SimpleTypes makes them."""
    if "weasyprint" not in sys.modules:
        with libraries_from_linker_cache(), imported_on_first_call(ON_FIRST_CALL):
            import weasyprint  # noqa: F401
    from weasyprint.text.ffi import ffi

    SimpleTypes.install(ffi)
