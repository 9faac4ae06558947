"""WeasyPrint's C libraries are found in the linker's cache, without running a compiler
(render/native.py, issue 23 item 3), and they are the same libraries as before.

The answers are checked against the standard library's own reading of the same cache
(ctypes.util's ldconfig step), and the import against a plain `import weasyprint` in
another process: the same shared objects must end up loaded.
"""

from __future__ import annotations

import ctypes.util
import json
import re
import shutil
import subprocess
import sys
from typing import Any

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
    weasyprints = ("libgobject", "libpango", "libharfbuzz", "libfontconfig")  # its dlopens
    assert ([n for n in ours["loaded"] if n.startswith(weasyprints)]
            == [n for n in plain["loaded"] if n.startswith(weasyprints)])
    # all else too, but what fontTools' subsetter and instancer load (imported on first call)
    assert set(ours["loaded"]) <= set(plain["loaded"])
    assert any(name.startswith("libpango-1.0.so") for name in ours["loaded"])
    assert any(name.startswith("libharfbuzz-subset.so") for name in ours["loaded"])


def test_find_library_is_given_back_after_the_import() -> None:
    before = ctypes.util.find_library
    with native.libraries_from_linker_cache():
        assert ctypes.util.find_library is not before
        assert ctypes.util.find_library("pango-1.0") == "libpango-1.0.so.0"
    assert ctypes.util.find_library is before


def _weasyprint_ffi() -> Any:
    native.import_weasyprint()
    from weasyprint.text.ffi import ffi

    return ffi


@pytest.mark.parametrize("cdecl", ["hb_codepoint_t[41]", "hb_tag_t[100]", " char [ 4 ] ",
                                   "PangoRectangle[3]", "PangoRectangle *[2]", "char[]",
                                   "PangoLogAttr[]", "PangoFcFontMap *", "unsigned int *",
                                   "hb_tag_t *", "char *", "char **", "gboolean",
                                   "unsigned long long[2]", "PangoWrapMode *"])
def test_a_simple_type_is_the_very_type_cffi_parses(cdecl: str) -> None:
    ffi = _weasyprint_ffi()
    assert isinstance(ffi._parsed_types, native.SimpleTypes)  # noqa: SLF001
    with ffi._lock:  # noqa: SLF001 - as cffi's own parse of a new type holds it
        parsed = ffi._get_cached_btype(ffi._parser.parse_type(cdecl))  # noqa: SLF001
    assert ffi.typeof(cdecl) is parsed


def test_other_types_and_bad_arrays_are_left_to_cffi() -> None:
    ffi = _weasyprint_ffi()
    for other in ("const char *", "void *", "int(*)(int)", "struct _PangoRectangle *"):
        with ffi._lock:  # noqa: SLF001
            parsed = ffi._get_cached_btype(ffi._parser.parse_type(other))  # noqa: SLF001
        assert ffi.typeof(other) is parsed
    import cffi

    for bad in ("void[3]", "no_such_type[2]"):  # the error a plain FFI gives
        with pytest.raises(Exception) as plain:
            cffi.FFI().typeof(bad)
        with pytest.raises(type(plain.value), match=re.escape(str(plain.value).split("\n")[0])):
            ffi.typeof(bad)


def test_a_render_parses_no_c(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each font of each document asks for `hb_codepoint_t[n]` with its own n, and a
    process's first document for a few other types: none of them reaches cffi's C parser
    (the cache starts empty here, as in a fresh worker)."""
    from hscourse.course.resolve import load_resolved
    from hscourse.render.documents import documents
    from hscourse.render.pdf import write_pdf

    from conftest import EXAMPLE

    ffi = _weasyprint_ffi()
    parsed: list[str] = []
    parse = ffi._parser.parse_type  # noqa: SLF001
    monkeypatch.setattr(ffi._parser, "parse_type",  # noqa: SLF001
                        lambda cdecl: parsed.append(cdecl) or parse(cdecl))
    monkeypatch.setattr(ffi, "_parsed_types", native.SimpleTypes(ffi, {}))
    for doc in documents(load_resolved(EXAMPLE)):
        assert write_pdf(doc.html, EXAMPLE).startswith(b"%PDF")
    made = [k for k in ffi._parsed_types if isinstance(k, str) and "hb_codepoint_t[" in k]  # noqa: SLF001
    assert len(made) >= 6 and "PangoRectangle *" in ffi._parsed_types  # noqa: SLF001
    assert parsed == []


# A fresh process: what WeasyPrint's import leaves unimported, then fontTools' subsetter
# reached through WeasyPrint's own fallback (HarfBuzz's subsetter taken away).
FONTTOOLS_ON_FIRST_CALL = """
import json, sys
from hscourse.render.native import import_weasyprint
import_weasyprint()
before = sorted(m for m in sys.modules if m.startswith(("fontTools.subset", "fontTools.varLib")))
import weasyprint.pdf.fonts
weasyprint.pdf.fonts.harfbuzz_subset = None
from hscourse.render.pdf import write_pdf
from pathlib import Path
pdf = write_pdf('<html lang="en"><title>t</title><p>Subset by fontTools</p></html>', Path("."))
rendered = "fontTools.subset" in sys.modules and pdf.startswith(b"%PDF")
import fontTools.subset, fontTools.varLib.instancer
print(json.dumps({"before": before, "rendered": rendered,
                  "real": [type(fontTools.subset).__name__, hasattr(fontTools.subset, "main"),
                           hasattr(fontTools.varLib.instancer, "instantiateVariableFont")]}))
"""


def test_fonttools_rarely_used_parts_are_imported_when_first_called() -> None:
    done = subprocess.run([sys.executable, "-c", FONTTOOLS_ON_FIRST_CALL], capture_output=True,
                          text=True, check=True)
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["before"] == []  # the import ran neither the subsetter nor the instancer
    assert found["rendered"]  # the fallback subset the fonts through the stand-in's Options
    assert found["real"] == ["module", True, True]  # later imports give the real modules


def test_the_instancer_stand_in_calls_the_real_function() -> None:
    from fontTools.ttLib import TTFont

    native.import_weasyprint()
    import weasyprint.pdf.fonts
    from fontTools.varLib import instancer

    stand_in = weasyprint.pdf.fonts.instantiateVariableFont
    errors = []
    for function in (instancer.instantiateVariableFont, stand_in):
        with pytest.raises(Exception) as raised:
            function(TTFont(), {"wght": 400})
        errors.append((type(raised.value), str(raised.value)))
    assert errors[0] == errors[1]
