"""Exchange formats, one package or module per format, each reading and writing: GIFT and
Moodle XML (`gift/`, `moodle/`: what both directions share is stated once in the package),
Canvas QTI 1.2 (`qti`), the CSV key (`csvkey`) and JSON (`data`). `bank` turns what an importer
read into a module; `lms` writes the banks a build asks for."""
