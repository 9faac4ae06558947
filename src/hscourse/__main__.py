from hscourse.cli import run

run()
