"""WeasyPrint's C libraries are found in the linker's cache, without running a compiler
(render/native.py, issue 23 item 3), and they are the same libraries as before.

The answers are checked against the standard library's own reading of the same cache
(ctypes.util's ldconfig step), and the import against a plain `import weasyprint` in
another process: the same shared objects must end up loaded.
"""

from __future__ import annotations

import ctypes.util
import json
import shutil
import subprocess
import sys

import pytest

from hscourse.render import native

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the compiler runs only on Linux's find_library")

NAMES = ["c", "m", "gobject-2.0", "pango-1.0", "pangoft2-1.0", "harfbuzz", "harfbuzz-subset",
         "fontconfig", "libgobject-2.0-0", "gobject-2.0-0", "harfbuzz-vector",
         "no-such-library-here", "z"]

# Prints the shared objects loaded after importing WeasyPrint, and the programs run meanwhile.
IMPORT = """
import json, subprocess, sys
ran = []
real = subprocess.Popen.__init__
def record(self, args, *rest, **options):
    ran.append(args[0] if isinstance(args, (list, tuple)) else args)
    real(self, args, *rest, **options)
subprocess.Popen.__init__ = record
if sys.argv[1] == "native":
    from hscourse.render.native import import_weasyprint
    import_weasyprint()
else:
    import weasyprint
with open("/proc/self/maps") as maps:
    loaded = sorted({line.split()[-1].rsplit("/", 1)[-1] for line in maps if ".so" in line})
print(json.dumps({"ran": ran, "loaded": loaded}))
"""


def _import(how: str) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", IMPORT, how], capture_output=True, text=True,
                          check=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def test_the_cache_gives_the_standard_librarys_answer_for_each_name() -> None:
    cache = native.linker_cache()
    assert cache is not None and "libc.so" in cache
    ours = {name: native.soname_in(cache, name) for name in NAMES}
    theirs = {name: ctypes.util._findSoname_ldconfig(name)  # type: ignore[attr-defined]
              for name in NAMES}
    assert ours == theirs
    assert ours["pango-1.0"] == "libpango-1.0.so.0" and ours["libgobject-2.0-0"] is None


def test_weasyprint_loads_the_same_libraries_without_running_a_compiler() -> None:
    plain, ours = _import("plain"), _import("native")
    if shutil.which("gcc"):  # what the plain import does where a compiler is installed
        assert plain["ran"].count("/sbin/ldconfig") > 10
        assert any(program.endswith("gcc") for program in plain["ran"])
    assert ours["ran"] == ["/sbin/ldconfig"]  # one reading of the cache, nothing else
    assert ours["loaded"] == plain["loaded"]
    assert any(name.startswith("libpango-1.0.so") for name in ours["loaded"])
    assert any(name.startswith("libharfbuzz-subset.so") for name in ours["loaded"])


def test_find_library_is_given_back_after_the_import() -> None:
    before = ctypes.util.find_library
    with native.libraries_from_linker_cache():
        assert ctypes.util.find_library is not before
        assert ctypes.util.find_library("pango-1.0") == "libpango-1.0.so.0"
    assert ctypes.util.find_library is before
