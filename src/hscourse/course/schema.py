"""The JSON Schemas of course.yaml, module files and term files.

They are the single statement of what each file may hold: `validate` checks files against them,
`hscourse schema` prints them for editors (YAML language server), and the `x-instructor-only`
marks drive the removal of answers from student editions (`model.student_view`).
"""

from __future__ import annotations

from typing import Any

# Ids become file names: the lookahead refuses names Windows reserves (hscourse.course.paths).
ID_PATTERN = r"^(?!(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$)[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
ID_HELP = ("an id of lowercase letters, digits and hyphens (e.g. water-conflict), at most 64, "
           "and not a name Windows reserves (con, prn, aux, nul, com1, lpt1...)")
LANG_PATTERN = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
QUIZ_TYPES = ("single_choice", "multiple_answer", "true_false", "short_answer", "essay",
              "matching", "ordering")
SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"

INSTRUCTOR = {"x-instructor-only": True}


def text(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "description": description, **extra}


def markdown(description: str, **extra: Any) -> dict[str, Any]:
    """A Markdown field: `x-format` is how every stage (paths, exports, leak check) knows it."""
    return text(description + " (Markdown)", **{"x-format": "markdown", **extra})


def instructor(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, **INSTRUCTOR,
            "description": schema.get("description", "") + " Instructor only."}


def ident(description: str) -> dict[str, Any]:
    return text(description, pattern=ID_PATTERN, **{"x-expected": ID_HELP})


def listing(items: dict[str, Any], description: str, min_items: int = 1,
            **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": min_items, "description": description,
            **extra}


def obj(properties: dict[str, Any], required: tuple[str, ...], description: str = ""
        ) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False, "description": description}


POINTS = {"type": "number", "exclusiveMinimum": 0, "description": "Points, a positive number."}
WHOLE_MINUTES = {"type": "integer", "minimum": 1, "description": "Minutes, a whole number."}
ANSWER_LINES = {"type": "integer", "minimum": 1, "maximum": 60,
                "description": "Lines of writing space on the student quiz."}
BLOOM_LEVELS = ("remember", "understand", "apply", "analyse", "evaluate", "create")
LEVEL = {"enum": list(BLOOM_LEVELS),
         "description": "The cognitive level, from Bloom's revised taxonomy."}
DATE = {"type": "string", "minLength": 1, "pattern": r"^\d{4}-\d{2}-\d{2}$",
        "description": "A date written YYYY-MM-DD.",
        "x-expected": "a date written YYYY-MM-DD, in quotes"}
AS_OF = {**DATE, "description": "The date the facts here were last checked, YYYY-MM-DD; "
                                "`hscourse review` flags facts older than the course allows."}
LANG = text("A language tag (BCP 47), e.g. en or zh-Hans.", pattern=LANG_PATTERN,
            **{"x-expected": "a language tag such as en, fr or zh-Hans"})

READING = obj({
    "id": ident("The reading's id, unique in the module; quiz items cite it."),
    "authors": listing(text("One author, e.g. 'Postel, Sandra L.'"), "Authors, in order."),
    "title": text("The title."),
    "original_title": text("The title in its own language."),
    "original_lang": LANG,
    "container": text("Journal, series or report number."),
    "publisher": text("Publisher."),
    "date": text("Date of publication, as text."),
    "pages": text("Pages or paragraphs."),
    "medium": text("Medium, for items that are not print (e.g. 'Video, about 8 minutes')."),
    "url": text("A web address.", pattern=r"^https?://\S+$",
                **{"x-expected": "an address starting with https:// or http://"}),
    "identifier": text("A DOI, report number or other identifier.", **{"x-verbatim": True}),
    "notes": markdown("Reading notes for students."),
    "as_of": AS_OF,
    "instructor_notes": instructor(markdown("How to use the reading.")),
}, ("id", "authors", "title", "date", "notes"), "A reading, as a structured citation.")
READING["dependentRequired"] = {"original_title": ["original_lang"],
                                "original_lang": ["original_title"]}

DISCUSSION = obj({
    "id": ident("The question's id, unique in the course."),
    "prompt": markdown("The question students discuss."),
    "follow_ups": listing(markdown("A follow-up question."), "Follow-up questions."),
    "minutes": instructor(WHOLE_MINUTES),
    "strong_answer": instructor(markdown("What a strong answer covers.")),
    "misconception": instructor(markdown("A likely misconception.")),
    "facilitation": instructor(markdown("How to run the discussion.")),
}, ("id", "prompt"), "A discussion question.")

OPTION = obj({
    "text": markdown("The option as students see it."),
    "correct": instructor({"type": "boolean", "description": "Whether this option is correct."}),
    "feedback": instructor(markdown("Feedback on choosing this option.")),
    "fixed": {"type": "boolean",
              "description": "Keep this option in place when forms are shuffled."},
}, ("text",), "An answer option.")

COMMON_ITEM = {
    "id": ident("The item's id, unique in the course."),
    "type": {"enum": list(QUIZ_TYPES), "description": "The item type."},
    "prompt": markdown("The question."),
    "points": POINTS,
    "reading": ident("The id of the reading this item draws on."),
    "tags": listing(ident("A tag."), "Tags, for pools and filtering."),
    "section": text("The quiz section this item belongs to; forms shuffle within sections."),
    "stimulus": ident("The id of a stimulus (passage, quotation, table) this item refers to; "
                      "items sharing a stimulus stay together and in order on every form."),
    "explanation": instructor(markdown("Why the answer is right, and where it is supported.")),
    "objective": {"anyOf": [ident("An objective id."),
                            listing(ident("An objective id."), "Objective ids.")],
                  "description": "The objective (or objectives) this item assesses, by id.",
                  "x-expected": "an objective id, or a list of them"},
    "level": LEVEL,
    "as_of": AS_OF,
    "review_ignore": {"type": "object", "propertyNames": {"pattern": ID_PATTERN},
                      "additionalProperties": text("Why the rule does not apply here."),
                      "description": "Review rules this item is exempt from, each with the "
                                     "reason (rule id: reason)."},
}
COMMON_REQUIRED = ("id", "type", "prompt", "points", "explanation")

ITEM_FIELDS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "single_choice": ({"options": listing(OPTION, "The options; exactly one correct.", 2)},
                      ("options",)),
    "multiple_answer": ({"options": listing(OPTION, "The options; one or more correct.", 2)},
                        ("options",)),
    "true_false": ({"answer": instructor({"type": "boolean",
                                          "description": "The correct answer."})}, ("answer",)),
    "short_answer": ({"accepted_answers": instructor(listing(
                          text("An accepted answer.", **{"x-verbatim": True}),
                          "Accepted answers.")),
                      "answer_lines": {**ANSWER_LINES, "default": 2}}, ("accepted_answers",)),
    "essay": ({"model_answer": instructor(markdown("A model answer.")),
               "rubric": instructor(listing(obj({
                   "criterion": markdown("What the grader looks for."),
                   "points": POINTS}, ("criterion", "points")), "Rubric criteria.")),
               "answer_lines": {**ANSWER_LINES, "default": 12}}, ("model_answer", "rubric")),
    "matching": ({"pairs": instructor(listing(obj({
        "left": markdown("A prompt in the left column."),
        "right": markdown("Its match; students see the right column shuffled.")},
        ("left", "right")), "The correct pairs (at least 3: with 2, the printed order "
                            "would give the key away).", 3))}, ("pairs",)),
    "ordering": ({"correct_order": instructor(listing(
        markdown("One entry."), "The entries in the correct order (at least 3); students see "
        "them shuffled.", 3))}, ("correct_order",)),
}


def quiz_item_schema() -> dict[str, Any]:
    """Each type is a complete object schema, chosen by `type` (so errors name the right fields)."""
    branches = []
    for name, (fields, required) in ITEM_FIELDS.items():
        branch = obj({**COMMON_ITEM, **fields}, COMMON_REQUIRED + required,
                     f"A {name.replace('_', ' ')} item.")
        branches.append({"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                         "then": branch})
    return {"type": "object", "description": "A quiz item.", "required": ["type"],
            "properties": {"type": COMMON_ITEM["type"]}, "allOf": branches}


MODULE = obj({
    "id": ident("The module id: the name of its folder."),
    "title": text("The module title."),
    "overview": markdown("An overview paragraph."),
    "objectives": listing({"anyOf": [
        markdown("What a student can do afterwards."),
        obj({"id": ident("The objective's id, unique in the module; items name it."),
             "text": markdown("What a student can do afterwards."),
             "level": LEVEL}, ("id", "text"), "An objective with an id and a level.")],
        "description": "A learning objective: text, or {id, text, level}.",
        "x-expected": "an objective as text, or as a mapping with id, text and level"},
        "Learning objectives."),
    "as_of": AS_OF,
    "draft": {"type": "boolean",
              "description": "A draft: placeholders are allowed, and `build` says so."},
    "updates": listing(obj({
        "date": DATE,
        "title": text("A short heading for the update."),
        "text": markdown("What has happened since the module's facts were written."),
    }, ("date", "text"), "A dated 'since then' paragraph."),
        "Dated updates, printed in their own box in the handout and guide."),
    "estimated_time": text("Estimated study time, e.g. '3 hours'."),
    "advisory": markdown("A content advisory, shown first."),
    "credit": text("Where the module comes from."),
    "readings": listing(READING, "Readings."),
    "discussion": listing(DISCUSSION, "Discussion questions.", default=[]),
    "stimuli": listing(obj({
        "id": ident("The stimulus id, unique in the module; quiz items refer to it."),
        "title": text("A heading for the stimulus, e.g. 'Source A'."),
        "text": markdown("The passage, quotation or data table students read."),
        "lang": LANG,
    }, ("id", "text"), "A stimulus for a linked set of quiz items."), "Stimuli.", default=[]),
    "quiz": listing(quiz_item_schema(), "Quiz items.", default=[]),
    "instructor_notes": instructor(obj({
        "session_plan": listing(obj({"minutes": WHOLE_MINUTES,
                                     "activity": markdown("What happens.")},
                                    ("minutes", "activity")), "A plan for one session."),
        "notes": markdown("Notes for the instructor."),
    }, (), "Notes for the instructor.")),
}, ("id", "title", "overview", "objectives", "readings"), "A teaching module.")

PRINT_SET = {"type": "boolean", "default": False,
             "description": "Also write one print-ready PDF per quiz (or exam) with its forms "
                            "interleaved A, B, C, A... for a whole class, each copy padded to an "
                            "even page count for duplex printing (see docs/exams.md)."}
PRINT_COPIES = {"type": "integer", "minimum": 1, "maximum": 2000,
                "description": "How many copies a print set holds (the class size); without "
                               "it, one per student of the `roster`."}
EXAM_VERSIONS = {"type": "integer", "minimum": 1, "maximum": 702,
                 "description": "How many forms of this exam to print (A-Z, then AA, AB...); "
                                "default: the course's `versions`."}
EXAM_PART = obj({
    "title": text("The part's heading, e.g. 'Part A: multiple choice'; forms shuffle within "
                  "a part."),
    "modules": listing(ident("A module id."), "The modules this part draws items from."),
    "items": listing(ident("A quiz item id."), "Only these items (by id)."),
    "tags": listing(ident("A tag."), "Only items carrying one of these tags."),
    "levels": listing(LEVEL, "Only items at one of these levels."),
    "objectives": listing(ident("An objective id."), "Only items assessing one of these "
                                                     "objectives."),
    "draw": {"type": "integer", "minimum": 1,
             "description": "Draw this many of the matching items at random (the same draw "
                            "every build; keyed with the course secret); default: all of them."},
    "points": {**POINTS, "description": "Points for every item of this part (replacing the "
                                        "items' own)."},
    "reserve": {"type": "boolean",
                "description": "Leave this part's items out of the module quizzes this term."},
}, ("modules",), "A part of an exam: items drawn from named modules.")
EXAM = obj({
    "id": ident("The exam's id (its outputs are named exam-<id>); not a module's id."),
    "title": text("The exam's title, e.g. 'Midterm examination'."),
    "instructions": markdown("Instructions printed on the cover page."),
    "duration": {**WHOLE_MINUTES, "description": "The time allowed, in minutes."},
    "date": DATE,
    "parts": listing(EXAM_PART, "The parts, in the order they are printed."),
    "reserve": {"type": "boolean",
                "description": "Leave every item of this exam out of the module quizzes this "
                               "term, so that students do not meet them twice."},
    "versions": EXAM_VERSIONS,
    "answer_sheets": {"type": "boolean",
                      "description": "Bubble answer sheets for this exam; default: the "
                                     "course's `answer_sheets`."},
    "print_set": PRINT_SET,
    "print_copies": PRINT_COPIES,
}, ("id", "title", "parts"), "An exam across modules: a midterm or a final.")

COURSE = obj({
    "title": text("The course title."),
    "code": text("The course code, e.g. 'HSC 210'."),
    "institution": text("The institution.", default=""),
    "instructor": text("The instructor's name.", default=""),
    "term": text("The term's name, e.g. 'Spring 2027'.", default=""),
    "language": LANG,
    "paper": {"enum": ["A4", "Letter"], "description": "Paper size."},
    "labels": {"type": "object", "default": {}, "additionalProperties": text("Your wording."),
               "description": "Your own wording for any label hscourse prints around the "
                              "content, by its English text, e.g. {\"Quiz\": \"Test\"} "
                              "(the messages are listed in src/hscourse/locales/hscourse.pot)."},
    "fillable": {"type": "boolean", "default": False,
                 "description": "Make student quizzes fillable PDF forms: name, date and every "
                                "answer a form field with its accessible name."},
    "large_print": {"type": "boolean", "default": False,
                    "description": "Also make every student edition in 18 pt large print, "
                                   "in dist/large-print/ (for accommodations)."},
    "date": text("The document date printed on every edition and stored in the PDFs, "
                 "as YYYY-MM-DD.", pattern=r"^\d{4}-\d{2}-\d{2}$",
                 **{"x-expected": "a date written YYYY-MM-DD, in quotes"}),
    "modules": listing(ident("A module id (a folder under modules/)."),
                       "The modules, in teaching order."),
    "versions": {"type": "integer", "minimum": 1, "maximum": 26, "default": 1,
                 "description": "How many quiz forms (A, B, C...) to print per module, each "
                                "shuffled, with its own answer key."},
    "seed": text("Text that seeds the shuffling of quiz forms; change it for new forms."),
    "secret": text("A private random text mixed into every shuffle, so that no one can work "
                   "out a form's order (or a matching item's key) from public values. "
                   "`hscourse init` writes one; keep it out of anything you publish.",
                   minLength=16, **{"x-secret": True,
                                    "x-expected": "at least 16 characters of random text"}),
    "extra_css": text("A stylesheet of your own, added after the built-in one, whose rules "
                      "win over it: the name of a .css file in the course's templates/ "
                      "folder (or the term's).",
                      pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.css$",
                      **{"x-expected": "the name of a .css file in templates/, e.g. extra.css"}),
    "allow_hard_links": {"type": "boolean", "default": False,
                         "description": "Allow images with more than one hard link (refused "
                                        "by default: a hard link can bring in a file from "
                                        "outside the course)."},
    "render_limits": obj({
        "seconds": {"type": "number", "exclusiveMinimum": 0, "default": 120,
                    "description": "Longest a document may take to render, in seconds."},
        "memory_mb": {"type": "integer", "minimum": 64, "default": 1536,
                      "description": "Memory a render may use, in MB."},
    }, (), "Bounds on each document's render, so that no content can hang a build."),
    "reader": {"type": "boolean", "default": False,
               "description": "Also build a course reader per audience: one PDF with a cover, "
                              "a table of contents and every module."},
    "review": {"anyOf": [{"type": "boolean"}, obj({
        "pdf": {"type": "boolean",
                "description": "Write dist/instructor/review.pdf on every build."},
        "ignore": listing(ident("A review rule id."), "Rules not to run."),
        "thresholds": {"type": "object", "propertyNames": {"pattern": ID_PATTERN},
                       "additionalProperties": {"type": "number"},
                       "description": "Thresholds by name (see docs/review-rules.md)."},
        "max_fact_age_years": {"type": "number", "exclusiveMinimum": 0,
                               "description": "How old an `as_of` date may be, against the "
                                              "course date, before review calls it stale."},
    }, (), "Item review settings.")],
        "description": "Item review: true writes the review PDF on every build; a mapping "
                       "sets rules and thresholds.",
        "x-expected": "true, false, or a mapping with pdf, ignore, thresholds",
        "default": False},
    "answer_sheets": {"type": "boolean", "default": False,
                      "description": "Also build a bubble answer sheet per quiz form, with its "
                                     "layout, into student/answer-sheets/ (read back by "
                                     "`hscourse scan`; see docs/scanning.md)."},
    "answer_sheet": obj({
        "id_digits": {"type": "integer", "minimum": 1, "maximum": 16, "default": 8,
                      "description": "Digits in a student ID (columns of the ID grid)."},
    }, (), "Answer sheet settings."),
    "roster": text("A CSV file (relative to the course folder) with the columns student_id "
                   "and name: personalised answer sheets, and the names `scan` writes."),
    "exams": listing(EXAM, "Exams drawing items from several modules (midterms, finals): "
                           "see docs/exams.md; a term's `exams: []` has none.", min_items=0),
    "print_set": PRINT_SET,
    "print_copies": PRINT_COPIES,
    "html": {"type": "boolean", "default": False,
             "description": "Also build a student web edition into dist/[<term>/]site/: the "
                            "home page, and each module's handout and quiz (no answers) as "
                            "accessible HTML pages linking to the PDFs (see "
                            "docs/web-edition.md)."},
    "self_check": {"type": "boolean", "default": False,
                   "description": "Web edition only: quiz pages reveal each answer and its "
                                  "explanation after the student chooses. This puts answers in "
                                  "the student site on purpose; the build says so."},
    "exports": {"type": "array", "uniqueItems": True, "default": [], "description":
                "Question banks `build` also writes into dist/lms/: moodle (Moodle XML), gift, "
                "qti (Canvas QTI 1.2 zip), csv (the answer key).",
                "items": {"enum": ["moodle", "gift", "qti", "csv"],
                          "description": "An export format."}},
    "moodle_ordering": {"type": "boolean", "default": True, "description":
                        "Export ordering items to Moodle XML as the Ordering question type "
                        "(qtype_ordering: standard from Moodle 4.4, a plugin before). Set it "
                        "to false for a Moodle without it: ordering items are then skipped, "
                        "with a warning."},
}, ("title", "code", "language", "paper", "modules"), "The course: course.yaml.")


IDS = listing(ident("An id."), "Ids of quiz items or discussion questions.")

MODULE_CHANGES = obj({
    "title": text("A new title for this term."),
    "include_quiz": {**IDS, "description": "Keep only these quiz items."},
    "exclude_quiz": {**IDS, "description": "Leave out these quiz items."},
    "include_discussion": {**IDS, "description": "Keep only these discussion questions."},
    "exclude_discussion": {**IDS, "description": "Leave out these discussion questions."},
    "points": {"type": "object", "description": "New points per quiz item id.",
               "propertyNames": {"pattern": ID_PATTERN}, "additionalProperties": POINTS},
    "patch": {"type": "object", "propertyNames": {"pattern": ID_PATTERN},
              "additionalProperties": {"type": "object", "minProperties": 1,
                                       "description": "The fields to change, each with its new "
                                                      "value; options by letter, e.g. "
                                                      "{B: {text: ...}}."},
              "description": "Changes to existing quiz items, discussion questions or "
                             "readings, by id (see docs/module-format.md, Terms)."},
    "add": listing(text("A YAML file in the term's folder, with readings, discussion and quiz "
                        "entries in the module format."), "Your own additions."),
    "pools": listing(obj({"tag": ident("Items carrying this tag form the pool."),
                          "draw": {"type": "integer", "minimum": 1,
                                   "description": "How many items to draw from the pool."},
                          "per_version": {"type": "boolean",
                                          "description": "Draw anew for every quiz form."}},
                         ("tag", "draw")), "Draw some items from tagged pools."),
}, (), "Changes to one module for this term.")

TERM_SETTINGS = {key: COURSE["properties"][key] for key in COURSE["properties"]
                 if key not in ("modules", "code")}
TERM = obj({
    **TERM_SETTINGS,
    "start_date": DATE,
    "section": text("The section, e.g. '02'.", default=""),
    "schedule": listing(obj({"module": ident("A module id."),
                             "week": {"type": "integer", "minimum": 1,
                                      "description": "The teaching week."},
                             "date": DATE}, ("module",)),
                        "The modules this term, in order, with a week or date for each."),
    "modules": {"type": "object", "description": "Changes per module id.",
                "propertyNames": {"pattern": ID_PATTERN}, "additionalProperties": MODULE_CHANGES},
}, (), "A term: terms/<term-id>.yaml, layered over course.yaml.")

OVERLAY = obj({key: MODULE["properties"][key] for key in ("readings", "discussion", "quiz")}, (),
              "An instructor's own readings, discussion questions and quiz items.")


JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "object": dict, "array": list, "boolean": bool, "integer": int,
    "number": (int, float)}


def resolve(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """The branch of an `anyOf` that fits value's type (text or mapping), else the schema."""
    for branch in schema.get("anyOf", ()):
        if isinstance(value, JSON_TYPES.get(branch.get("type", ""), ())):
            return branch
    return schema


def is_markdown(schema: dict[str, Any]) -> bool:
    return schema.get("x-format") == "markdown"


def is_plain_text(schema: dict[str, Any]) -> bool:
    """Prose printed as written (a title, an option): not Markdown, which sets its own quotes,
    and not a code (an id, a date, an address, a language, `x-verbatim`) that must stay as is."""
    return (schema.get("type") == "string" and not is_markdown(schema)
            and not schema.keys() & {"pattern", "enum", "format", "x-verbatim"})


def secret_settings(schema: dict[str, Any]) -> frozenset[str]:
    """Settings never printed, exported or handed to a template (`x-secret`)."""
    return frozenset(k for k, v in schema.get("properties", {}).items() if v.get("x-secret"))


def field_schemas(schema: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """The schemas of a mapping's fields, those of its quiz item type included."""
    schema = resolve(schema, value)
    properties = dict(schema.get("properties", {}))
    for branch in schema.get("allOf", []):
        if branch["if"]["properties"]["type"]["const"] == value.get("type"):
            properties.update(branch["then"]["properties"])
    return properties


def document(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": SCHEMA_DRAFT, "title": title, **schema}


SCHEMAS = {
    "course": document(COURSE, "hscourse course.yaml"),
    "module": document(MODULE, "hscourse module"),
    "term": document(TERM, "hscourse term"),
    "overlay": document(OVERLAY, "hscourse term overlay"),
}
