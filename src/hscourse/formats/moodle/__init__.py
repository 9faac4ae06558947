"""Moodle XML: `write` exports, `read` imports. The rules both directions share are stated here
once: the grades Moodle allows, and how an essay's model answer and rubric travel as grader
information."""

# Moodle refuses grades outside this list (question/format.php, question_bank::fraction_options).
MOODLE_FRACTIONS = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
                    16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0)
ALLOWED_FRACTIONS = frozenset(MOODLE_FRACTIONS) | frozenset(-f for f in MOODLE_FRACTIONS)

MODEL_ANSWER_HEAD = "**Model answer**\n\n"
RUBRIC_HEAD = "\n\n**Rubric**\n\n"
