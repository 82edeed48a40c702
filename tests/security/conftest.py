"""The attack suite prints "category: tried N, refused N" at the end of the run."""

from tests.security import tally


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = tally.summary_lines()
    if not lines:
        return
    terminalreporter.section("attack suite: attempts tried and refused")
    for line in lines:
        terminalreporter.write_line(line)
