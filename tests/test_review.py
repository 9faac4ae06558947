"""`hscourse review` against the labelled fixture (tests/fixtures/review): recall per rule and
false alarms on the clean items, printed with the test output and held at >= 95% and <= 5%;
one verbatim message per rule; exemptions, settings, terms and positions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hscourse.assess.review import RULES, Report, review_course, review_project
from hscourse.course.project import load_course
from hscourse.errors import ContentError

from conftest import REPO, copy_course, replace_once

FIXTURE = REPO / "tests" / "fixtures" / "review"
LABELS: dict[str, list[str]] = yaml.safe_load((FIXTURE / "labels.yaml").read_text())
ITEM_RULES = sorted(r.id for r in RULES.values() if r.scope == "item")
MODULE_FILE = "modules/labelled/module.yaml"


@pytest.fixture(scope="module")
def report() -> Report:
    return review_project(FIXTURE)[1]


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    return copy_course(FIXTURE, tmp_path / "course")


def found_rules(report: Report) -> dict[str, set[str]]:
    """The rules that fired on each item (notes, which only suggest, left out)."""
    found: dict[str, set[str]] = {}
    for f in report.findings:
        if f.item and f.severity != "info":
            found.setdefault(f.item, set()).add(f.rule)
    return found


def test_the_fixture_is_large_enough() -> None:
    flawed = [item for item, rules in LABELS.items() if rules]
    assert len(flawed) >= 40
    assert len(LABELS) - len(flawed) >= 15
    for rule in ITEM_RULES:
        assert sum(rule in rules for rules in LABELS.values()) >= 2, rule
    course = load_course(FIXTURE)
    items = {i["id"] for m in course.modules for i in m.data["quiz"]}
    assert items == set(LABELS), "every item is labelled, and every label names an item"


def test_recall_per_rule_and_false_alarms_on_clean_items(report: Report, capsys) -> None:
    found = found_rules(report)
    lines, recalls = [], {}
    for rule in ITEM_RULES:
        labelled = [i for i, rules in LABELS.items() if rule in rules]
        hits = [i for i in labelled if rule in found.get(i, set())]
        recalls[rule] = len(hits) / len(labelled)
        lines.append(f"  {rule:<28} recall {len(hits)}/{len(labelled)} = {recalls[rule]:.0%}")
    clean = [i for i, rules in LABELS.items() if not rules]
    alarmed = [i for i in clean if found.get(i)]
    unexpected = sum(len(found.get(i, set()) - set(r)) for i, r in LABELS.items() if r)
    with capsys.disabled():
        print("\nreview on the labelled fixture:\n" + "\n".join(lines))
        print(f"  false alarms on clean items: {len(alarmed)}/{len(clean)} = "
              f"{len(alarmed) / len(clean):.0%} {alarmed or ''}")
        print(f"  unlabelled findings on flawed items: {unexpected}")
    assert all(r >= 0.95 for r in recalls.values()), recalls
    assert len(alarmed) / len(clean) <= 0.05, alarmed


MESSAGES = {
    "longest-option-correct": ("l1", 52, 15, ("the key 'The United Nations Development Programme "
                               "(UNDP)' is the longest option (47 characters; the longest other "
                               "has 14): test-wise students pick the longest option; make the "
                               "distractors as long and specific, or shorten the key")),
    "all-of-the-above": ("a1", 94, 15, ("option D is 'All of the above': students who see two "
                         "options are right can answer without knowing the rest; replace it "
                         "with a plausible distractor or make the item select-all")),
    "none-of-the-above": ("n1", 133, 15, ("option D is 'None of the above': it rewards knowing "
                          "what is wrong, not what is right; replace it with a plausible "
                          "distractor")),
    "absolute-terms": ("b1", 165, 13, ("the true/false statement uses 'always' in 'Cooperation "
                       "over shared rivers always ends in a formal treaty.': absolute claims "
                       "are seldom true, so test-wise students rule them out (or in); state the "
                       "claim with its real scope")),
    "vague-terms": ("v1", 200, 13, ("the true/false statement uses 'sometimes' in 'Monsoon rains "
                    "sometimes make the river feeding Tonle Sap reverse its…': vague qualifiers "
                    "make a claim hard to judge true or false and tend to mark the key; say how "
                    "often or how much, with the source's figure")),
    "negative-stem": ("g1", 222, 13, ("the stem uses the negative 'not' without emphasis ('Which "
                      "of these was not a founding member of the Mekong River Commissi…'): "
                      "students misread negatives; ask the question positively, or set the "
                      "word in bold capitals (**NOT**)")),
    "word-repeat": ("w1", 264, 15, ("the stem word 'treaty' reappears in the key 'The Indus "
                    "Waters Treaty' and in no distractor: students match the words; reword the "
                    "key or use the word in a distractor too")),
    "grammatical-cue": ("c1", 297, 13, ("the stem ends in 'an', which fits the key 'agency of the "
                        "United Nations' but not 'bank based in Washington, D.C.', 'think tank "
                        "founded in London', 'university research group in Tokyo': students "
                        "drop the options that do not read on from the stem; make every option "
                        "agree with it")),
    "convergence-cue": ("k1", 344, 15, ("the key 'Work began in 1994 and the main wall was "
                        "finished in 2006' shares the most words with the other options (10; "
                        "at most 8 for a distractor): test-wise students pick the option the "
                        "others converge on; vary the distractors so that they do not each "
                        "change one element of the key")),
    "combination-option": ("m1", 372, 15, ("option C combines other options ('A and B'): it "
                           "tests reading strategy, not knowledge, and breaks when forms "
                           "shuffle the letters; make it a select-all item or write a "
                           "distractor of its own")),
    "unordered-numeric-options": ("u1", 399, 7, ("the options hold numbers out of order (2006, "
                                  "1994, 2012, 1960): put numeric options in ascending order, "
                                  "so that their position gives nothing away")),
    "fill-in-blank": ("f1", 420, 13, ("the stem has a blank ('______' in 'The last recorded war "
                      "between states over water was fought about year…'): students must hold "
                      "the broken sentence in mind while reading the options; ask a direct "
                      "question instead")),
    "select-all-majority": ("s1", 448, 7, ("3 of 4 options are correct: when most options are "
                            "correct, ticking everything scores well; make at most half the "
                            "options correct")),
    "too-few-options": ("t1", 481, 7, ("only 2 options (at least 3 wanted): a guess succeeds "
                        "too often; add a plausible distractor, or make it a true/false item")),
    "duplicate-item": ("d1", 498, 13, ("the stem nearly repeats item 'l1' (78% of content words "
                       "shared: 'Which body issued the 1994 report that introduced…'): one item "
                       "can give the other's answer away; drop one or ask about something "
                       "else")),
    "placeholder": ("p1", 515, 18, ("'TODO explain this one' is a placeholder (TODO): write the "
                    "real text before the quiz is printed")),
    "unsupported-key": ("x2", 567, 24, ("the key 'Ministry of Water Resources' is not supported by "
                        "the module's notes: 'ministry', 'resources' appear nowhere in the "
                        "overview, reading notes or stimuli; say it in the notes, or check the "
                        "key")),
    "item-without-objective": ("o1", 569, 9, ("no objective: say which objective this item "
                               "assesses with `objective: <id>` (the module's objectives: "
                               "o-recall, o-explain, o-apply, o-evaluate)")),
    "stale-fact": ("e1", 592, 12, ("the item's as_of 2009-04-17 is 17.7 years before the course "
                   "date 2027-01-11 (the limit is 5 years): check the facts, then update as_of, "
                   "or add a dated `updates:` entry to the module")),
}


@pytest.mark.parametrize("rule", sorted(MESSAGES))
def test_message_verbatim(report: Report, rule: str) -> None:
    item, line, column, message = MESSAGES[rule]
    mine = [f for f in report.findings if f.rule == rule and f.item == item]
    assert [(f.file, f.line, f.column, f.message) for f in mine][:1] == [
        (MODULE_FILE, line, column, message)]
    assert mine[0].severity == RULES[rule].severity


def test_unknown_objective_is_an_error_with_a_suggestion(report: Report) -> None:
    [finding] = [f for f in report.findings if f.item == "o2"]
    assert (finding.rule, finding.severity) == ("item-without-objective", "error")
    assert finding.message == ("names objective 'o-explian', which the module does not have; "
                               "did you mean 'o-explain'?")


def test_duplicates_are_found_across_modules(report: Report) -> None:
    [finding] = [f for f in report.findings if f.item == "d2"]
    assert finding.file == "modules/second/module.yaml"
    assert "item 'x15' in module 'labelled'" in finding.message


def test_module_level_messages(course_copy: Path) -> None:
    module = course_copy / MODULE_FILE
    replace_once(module, "  - {id: o-evaluate, text: Evaluate claims about water conflict and "
                 "cooperation., level: evaluate}\n", "  - {id: o-evaluate, text: Evaluate claims "
                 "about water conflict and cooperation., level: evaluate}\n"
                 "  - {id: o-create, text: Design a water-sharing scheme., level: create}\n"
                 "  - A plain objective without an id.\n")
    replace_once(module, "overview: >-", 'as_of: "2018-05-01"\noverview: >-')
    replace_once(module, "    date: \"2026\"\n", "    date: \"2026\"\n    as_of: \"2019-12-31\"\n")
    replace_once(module, "    objective: o-recall\n    level: remember\n    explanation: In 1994.",
                 "    objective: o-recall\n    explanation: In 1994.")
    _, report = review_project(course_copy)
    quiz = yaml.safe_load(module.read_text())["quiz"]  # u1 has no level: remember is suggested
    higher = (sum(i["points"] for i in quiz if i.get("level") in ("apply", "evaluate"))
              / sum(i["points"] for i in quiz))
    module_level = {(f.rule, f.line, f.message) for f in report.findings
                    if f.item is None and f.file == MODULE_FILE}
    assert module_level == {
        ("objective-uncovered", 13, ("no quiz item assesses objective 'o-create' ('Design a "
         "water-sharing scheme.'): add an item with `objective: o-create`, or drop the "
         "objective")),
        ("objective-uncovered", 14, ("the objective 'A plain objective without an id.' has no "
         "id, so no item can name it: write it as {id, text, level} and name the id in the "
         "items that assess it")),
        ("stale-fact", 4, ("the module's as_of 2018-05-01 is 8.7 years before the course date "
         "2027-01-11 (the limit is 5 years): check the facts, then update as_of, or add a "
         "dated `updates:` entry to the module")),
        ("stale-fact", 20, ("the reading 'notes' as_of 2019-12-31 is 7.0 years before the course "
         "date 2027-01-11 (the limit is 5 years): check the facts, then update as_of, or add a "
         "dated `updates:` entry to the module")),
        ("higher-order-share", 47, (f"only {higher:.0%} of the quiz's points are at apply or "
                                    "above "
         "(counting suggested levels) (at least 30% wanted): rewrite some recall items to ask "
         "students to apply, analyse or evaluate")),
    }
    [note] = [f for f in report.findings if f.item == "u1" and f.rule == "higher-order-share"]
    assert note.severity == "info"
    assert note.message == ("no level given; suggested: remember (no higher-order verb in the "
                            "stem); this is a suggestion: confirm it with `level: remember` or "
                            "write the right one")


def test_a_recent_update_refreshes_a_module(course_copy: Path) -> None:
    module = course_copy / MODULE_FILE
    replace_once(module, "    date: \"2026\"\n", "    date: \"2026\"\n    as_of: \"2019-12-31\"\n")
    replace_once(module, "overview: >-", 'as_of: "2018-05-01"\noverview: >-')
    _, report = review_project(course_copy)
    assert len([f for f in report.findings if f.rule == "stale-fact" and f.item is None]) == 2
    replace_once(module, 'as_of: "2018-05-01"\n', 'as_of: "2018-05-01"\nupdates:\n'
                 '  - date: "2026-03-01"\n    text: The commission met again.\n')
    _, report = review_project(course_copy)
    assert not [f for f in report.findings if f.rule == "stale-fact" and f.item is None]


@pytest.mark.parametrize("verb, level", [
    ("Compare the two reports.", "analyse"), ("Which report would best justify aid?", "evaluate"),
    ("Explain why the river reverses.", "understand"), ("Design a treaty.", "create"),
    ("Which year was it?", "remember")])
def test_level_suggestions_come_from_the_stem_verbs(verb: str, level: str) -> None:
    from hscourse.assess.review.module_rules import suggest_level

    assert suggest_level({"prompt": verb, "type": "single_choice"})[0] == level


def test_key_position_balance_per_quiz_and_per_form(course_copy: Path) -> None:
    course = load_course(course_copy)
    course.settings = course.settings.changed(review={"thresholds": {"key-position-min-items": 4}})
    quiz = course.modules[1].data["quiz"]
    for n in range(4):
        quiz.append({"id": f"kp{n}", "type": "single_choice", "prompt": f"Pick {n}?",
                     "points": 1, "objective": "s-recall", "level": "remember",
                     "explanation": "x", "options": [{"text": "Nine", "correct": True},
                                                     {"text": "Ten"}, {"text": "Twelve"}]})
    second = "modules/second/module.yaml"
    report = review_course(course)
    [finding] = [f for f in report.findings
                 if f.rule == "key-position-balance" and f.file == second]
    assert finding.message == (
        "the quiz: the keys of 5 single-choice items fall on A 4, B 1, C 0; out of balance: A "
        "(4 against about 2), C (0 against about 2): students who notice guess the favoured "
        "letter; move keys so that each letter is the key about equally often")
    course.settings = course.settings.changed(versions=2)
    forms = {f.message.split(":")[0] for f in review_course(course).findings
             if f.rule == "key-position-balance" and f.file == second}
    assert {"the quiz"} < forms <= {"the quiz", "form A", "form B"}


def test_review_ignore_exempts_an_item_with_a_reason(course_copy: Path) -> None:
    module = course_copy / MODULE_FILE
    replace_once(module, "    explanation: The Indus Waters Treaty of 1960.\n",
                 "    explanation: The Indus Waters Treaty of 1960.\n    review_ignore:\n"
                 "      word-repeat: The treaty's name is what is asked.\n")
    _, report = review_project(course_copy)
    assert not [f for f in report.findings if f.item == "w1"]


@pytest.mark.parametrize("reason, expected", [
    ('"  "', "quiz[w1].review_ignore.word-repeat: give the reason the rule does not apply here"),
    ('""', "review_ignore.word-repeat"),
])
def test_review_ignore_needs_a_reason(course_copy: Path, reason: str, expected: str) -> None:
    replace_once(course_copy / MODULE_FILE, "    explanation: The Indus Waters Treaty of 1960.\n",
                 "    explanation: The Indus Waters Treaty of 1960.\n    review_ignore:\n"
                 f"      word-repeat: {reason}\n")
    with pytest.raises(ContentError) as caught:
        review_project(course_copy)
    assert any(expected in str(d) and d.line for d in caught.value.diagnostics), caught.value


def test_course_settings_ignore_rules_and_change_thresholds(course_copy: Path) -> None:
    replace_once(course_copy / "course.yaml", "modules:", "review:\n  ignore: [word-repeat]\n"
                 "  thresholds: {min-options: 4}\n  max_fact_age_years: 20\nmodules:")
    _, report = review_project(course_copy)
    rules = found_rules(report)
    assert "word-repeat" not in set().union(*rules.values())
    assert "too-few-options" in rules["a3"]  # three options are too few at min-options 4
    assert "stale-fact" not in rules.get("e1", set())


def test_unknown_rule_and_threshold_names_are_errors(course_copy: Path) -> None:
    replace_once(course_copy / "course.yaml", "modules:", "review:\n  ignore: [word-repeats]\n"
                 "  thresholds: {min-option: 4}\nmodules:")
    with pytest.raises(ContentError) as caught:
        review_project(course_copy)
    assert [str(d) for d in caught.value.diagnostics] == [
        ("course.yaml:9:12: review.ignore[0]: no review rule 'word-repeats'; did you mean "
        "'word-repeat'?"),
        ("course.yaml:10:16: review.thresholds.min-option: no review threshold 'min-option' "
        "(they are listed in docs/review-rules.md); did you mean 'min-options' or "
        "'convergence-min-options'?")]


def test_placeholders_in_a_draft_module_are_warnings(course_copy: Path) -> None:
    module = course_copy / MODULE_FILE
    _, report = review_project(course_copy)
    assert {f.severity for f in report.findings if f.rule == "placeholder"} == {"error"}
    replace_once(module, "id: labelled\n", "id: labelled\ndraft: true\n")
    _, report = review_project(course_copy)
    assert {f.severity for f in report.findings if f.rule == "placeholder"} == {"warning"}


def test_the_builds_placeholder_pass_finds_what_the_full_review_finds(course_copy: Path
                                                                      ) -> None:
    """Every build runs the placeholder rule alone (review.placeholders); it must report
    exactly the placeholder findings of the full review, draft or not, exemptions kept."""
    from hscourse.assess.review import placeholders

    module = course_copy / MODULE_FILE
    for edit in ((None, None), ("id: labelled\n", "id: labelled\ndraft: true\n")):
        if edit[0]:
            replace_once(module, *edit)
        course, report = review_project(course_copy)
        full = [(f.severity, f.file, f.line, f.column, f.item or "", f.message)
                for f in report.findings if f.rule == "placeholder"]
        fast = [(severity, d.file, d.line, d.column, d.field, d.message)
                for severity, d in placeholders(course)]
        assert len(full) >= 2 and fast == full


def test_a_term_keeps_positions_of_the_items_it_keeps(course_copy: Path) -> None:
    terms = course_copy / "terms"
    terms.mkdir()
    (terms / "t.yaml").write_text("term: T\nmodules:\n  labelled:\n    exclude_quiz: [l1, l2, a1]\n")
    _, whole = review_project(course_copy)
    _, term = review_project(course_copy, terms / "t.yaml")
    kept = {(f.rule, f.item, f.line, f.column) for f in whole.findings
            if f.item not in ("l1", "l2", "a1", "d1")}
    assert kept <= {(f.rule, f.item, f.line, f.column) for f in term.findings}
    assert not [f for f in term.findings if f.item in ("l1", "l2", "a1")]


def test_course_wide_key_letters_and_longest_keys(course_copy: Path) -> None:
    course = load_course(course_copy)
    items = [i for m in course.modules for i in m.data["quiz"]
             if i["type"] == "single_choice" and len(i["options"]) >= 3]
    longest = 0
    for item in items:  # counted here independently of the rule
        texts = [o["text"] for o in item["options"]]
        key = next(o["text"] for o in item["options"] if o.get("correct"))
        longest += all(len(key) > len(t) for t in texts if t != key)
    course.settings = course.settings.changed(review={"thresholds": {"longest-key-max-share": 0.1}})
    [finding] = [f for f in review_course(course).findings
                 if f.rule == "longest-option-correct" and f.file == "course.yaml"]
    assert (finding.line, finding.item) == (9, None)
    assert finding.message.startswith(f"the course: the key is the longest option in {longest} "
                                      f"of {len(items)} single-choice items")


def test_every_rule_and_threshold_is_documented() -> None:
    from hscourse.assess.review import THRESHOLDS

    doc = (REPO / "docs" / "review-rules.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"### {rule.id} ({rule.severity}" in doc, rule.id
    for name, default in THRESHOLDS.items():
        assert f"| `{name}` | {default:g} |" in doc, name


def test_a_date_not_on_the_calendar_is_an_error_not_a_traceback(course_copy: Path) -> None:
    replace_once(course_copy / MODULE_FILE, 'as_of: "2009-04-17"', 'as_of: "2009-02-30"')
    with pytest.raises(ContentError) as caught:
        review_project(course_copy)
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{MODULE_FILE}:592:12: quiz[43].as_of: '2009-02-30' is not a date on the calendar"]


def test_items_a_term_adds_are_located_in_their_overlay_file(tmp_path: Path) -> None:
    root = copy_course(REPO / "tests" / "fixtures" / "course", tmp_path / "course")
    overlay = root / "terms/2027-spring/extra.yaml"
    replace_once(overlay, "  - id: own-q1\n", "  - id: own-q2\n    type: single_choice\n"
                 "    prompt: Which is right?\n    points: 1\n    explanation: Because.\n"
                 "    options:\n      - text: TBD\n        correct: true\n      - text: B\n"
                 "  - id: own-q1\n")
    _, report = review_project(root, root / "terms/2027-spring.yaml")
    [finding] = [f for f in report.findings if f.item == "own-q2" and f.rule == "placeholder"]
    assert (finding.file, finding.line, finding.column) == (
        "terms/2027-spring/extra.yaml", 14, 15)
