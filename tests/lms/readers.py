"""Independent readers for the LMS export tests: none of them is hscourse code.

* GIFT: the npm package gift-pegjs (pinned in package.json), installed by scripts/setup.sh into
  tests/.node/ (git-ignored) with `npm install --prefix`.
* QTI: the IMS QTI 1.2 XML schema in tests/vendor/schemas/qti/, read by xmlschema from local
  files (tests/vendor/README.md says where each file comes from and its licence).
* Moodle XML: lxml, with Moodle's import rules written out in `moodle_problems`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE.parent / ".node"
VENDOR = HERE.parent / "vendor"
QTI_XSD = VENDOR / "schemas" / "qti" / "ims_qtiasiv1p2.xsd"
FIXTURES = VENDOR / "fixtures"
MOODLE_FRACTIONS = {100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
                    16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0}


@lru_cache(maxsize=1)
def gift_parser() -> Path:
    """The script that runs gift-pegjs, which scripts/setup.sh installs (`make setup`)."""
    wanted = json.loads((HERE / "package.json").read_text())["dependencies"]["gift-pegjs"]
    installed = NODE_DIR / "node_modules" / "gift-pegjs" / "package.json"
    assert installed.exists() and json.loads(installed.read_text())["version"] == wanted, (
        f"gift-pegjs {wanted} is not installed in {NODE_DIR}: run `make setup`")
    return HERE / "parse_gift.js"


def parse_gift(text: str) -> list[dict[str, Any]]:
    """The parse gift-pegjs gives for text; fails the test on a GIFT syntax error."""
    script = gift_parser()
    node = shutil.which("node")
    assert node, "node is needed to run the independent GIFT parser (gift-pegjs)"
    done = subprocess.run([node, str(script)], input=text, capture_output=True, text=True,
                          timeout=60,
                          env={**os.environ, "NODE_PATH": str(NODE_DIR / "node_modules")})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@lru_cache(maxsize=1)
def qti_schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema(str(QTI_XSD))


def qti_errors(xml: bytes) -> list[str]:
    """Every way an assessment breaks the IMS QTI 1.2 schema (empty when it is valid)."""
    from lxml import etree

    document = etree.fromstring(xml)
    return [str(error) for error in qti_schema().iter_errors(document)]


ORDERING_GRADING = {"ALL_OR_NOTHING", "ABSOLUTE_POSITION", "RELATIVE_NEXT_EXCLUDE_LAST",
                    "RELATIVE_NEXT_INCLUDE_LAST", "RELATIVE_ONE_PREVIOUS_AND_NEXT",
                    "RELATIVE_ALL_PREVIOUS_AND_NEXT", "LONGEST_ORDERED_SUBSET",
                    "LONGEST_CONTIGUOUS_SUBSET", "RELATIVE_TO_CORRECT"}


def moodle_problems(xml: bytes) -> list[str]:
    """What Moodle's XML import would refuse or get wrong (question/format/xml, qtype_*)."""
    from lxml import etree

    root = etree.fromstring(xml)
    problems = []
    for question in root.iter("question"):
        kind = question.get("type")
        name = question.findtext("name/text")
        fractions = [float(a.get("fraction")) for a in question.findall("answer")]
        if kind == "ordering":
            # qtype_ordering (questiontype.php, import_from_xml): an answer's fraction is only
            # its rank; all entries shown needs selecttype ALL; the grading types it knows.
            if fractions != [float(n) for n in range(1, len(fractions) + 1)]:
                problems.append(f"{name}: the answers are not ranked 1..n in order")
            if len(fractions) < 2:
                problems.append(f"{name}: fewer than two entries")
            if question.findtext("selecttype") != "ALL":
                problems.append(f"{name}: not every entry is shown")
            if question.findtext("gradingtype") not in ORDERING_GRADING:
                problems.append(f"{name}: unknown grading type")
            fractions = []
        for fraction in fractions:
            if abs(fraction) not in MOODLE_FRACTIONS:
                problems.append(f"{name}: fraction {fraction} is not an allowed grade")
        if kind == "multichoice":
            if question.findtext("single") == "true":
                if max(fractions) != 100:
                    problems.append(f"{name}: no answer is worth 100%")
            elif round(sum(f for f in fractions if f > 0), 2) != 100:
                problems.append(f"{name}: the correct answers do not add up to 100%")
            if len(fractions) < 2:
                problems.append(f"{name}: fewer than two answers")
        elif kind in ("truefalse", "shortanswer") and 100 not in fractions:
            problems.append(f"{name}: no answer is worth 100%")
        elif kind == "matching" and len(question.findall("subquestion")) < 3:
            problems.append(f"{name}: a matching question needs at least 3 pairs")
        if kind != "category" and not float(question.findtext("defaultgrade") or 0) > 0:
            problems.append(f"{name}: no positive default mark")
    return problems
