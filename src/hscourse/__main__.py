from hscourse.cli import main

main()
