#!/usr/bin/env bash
# Set up everything hscourse needs on a fresh Debian/Ubuntu machine:
#  1. the system libraries and fonts WeasyPrint needs (apt-get when root, else the exact command),
#  2. a virtual environment in .venv with hscourse and its test dependencies.
# Safe to run again: it does nothing when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0   # text layout for WeasyPrint
  libharfbuzz-subset0                # font subsetting: 2x faster PDFs, byte-identical output
  fonts-noto-core fonts-noto-cjk     # Noto Serif/Sans, and Noto CJK for Chinese text
  fonts-dejavu-core                  # symbols Noto Serif/Sans lack (e.g. the check mark)
  fontconfig                         # fc-list: the font coverage check (hscourse/fonts.py)
  poppler-utils                      # pdftotext: every build's leak check; pdftoppm: visual checks
  libxml2-utils                      # xmllint: validating QTI exports in the tests
  chromium                           # the web edition's accessibility test (axe-core) and screenshots
  default-jdk-headless libjaxb-java  # the tests' veraPDF (PDF/UA) run: Java and its JAXB
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  case "$pkg" in \#*) continue ;; esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "hscourse needs these system packages. Install them, then run this again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.hscourse-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
# Compile hscourse's own modules (only those changed since). Where PYTHONDONTWRITEBYTECODE is
# set, as on this project's CI machines, Python never saves what it compiles, so every
# process compiled them again: 0.1 s of each command's start, and of its render server's.
.venv/bin/python -m compileall -q src >/dev/null

# The tests' independent tools from npm (the GIFT parser; axe-core and puppeteer-core for the
# web edition's accessibility test), pinned in tests/lms/package.json; installed again whenever
# that file changes. puppeteer-core never downloads a browser: the test uses Debian's chromium.
if [ -f tests/lms/package.json ]; then
  if ! cmp -s tests/lms/package.json tests/.node/package.json \
     || [ ! -f tests/.node/node_modules/.package-lock.json ]; then
    if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    if command -v npm >/dev/null 2>&1; then
      mkdir -p tests/.node
      cp tests/lms/package.json tests/.node/package.json
      npm install --prefix tests/.node --no-audit --no-fund --loglevel=error >/dev/null
    else
      echo "The tests need Node.js and npm for their GIFT parser and accessibility test: sudo apt-get install -y nodejs npm" >&2
    fi
  fi
fi
