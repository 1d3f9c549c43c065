"""Print "N passed, M failed" for a pytest JUnit XML report (M counts failures and errors).

Skipped tests (including expected failures) are neither; when there are any, a line
"K skipped" goes to stderr so the summary stays the last line on stdout.
"""

import sys
import xml.etree.ElementTree as ET


def summarize(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = skipped = 0
    for suite in suites:
        for case in suite.iter("testcase"):
            kinds = {child.tag for child in case}
            if kinds & {"failure", "error"}:
                failed += 1
            elif "skipped" in kinds:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def main(argv):
    if len(argv) != 2:
        print("usage: junit_summary.py REPORT.xml", file=sys.stderr)
        return 2
    try:
        passed, failed, skipped = summarize(argv[1])
    except (OSError, ET.ParseError) as exc:
        print("no readable JUnit report: %s" % exc, file=sys.stderr)
        return 1
    if skipped:
        print("%d skipped (or expected failures)" % skipped, file=sys.stderr)
    print("%d passed, %d failed" % (passed, failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
