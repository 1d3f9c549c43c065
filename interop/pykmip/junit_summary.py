"""Print "N passed, M failed" for a pytest JUnit XML report (M counts failures and errors).

Skipped tests (including expected failures) are neither; when there are any, a line
"K skipped" goes to stderr so the summary stays the last line on stdout.

With --known FILE --version V, failures listed in FILE for version V (lines
"VERSION TEST_NAME  # reason", TEST_NAME as Class::method or method) are known failures: they are
reported on stderr with their reason and counted as skipped, so that only regressions count as
failed; the last line then reads "N passed, M failed, K skipped". A listed test that passes is
reported as fixed (remove it from the list).
"""

import sys
import xml.etree.ElementTree as ET


def load_known(path, version):
    """{test name: reason} for one client version."""
    known = {}
    with open(path) as f:
        for raw in f:
            line = raw.split("#", 1)
            body = line[0].split()
            if len(body) != 2:
                continue
            if body[0] == version:
                known[body[1]] = line[1].strip() if len(line) > 1 else ""
    return known


def case_names(case):
    cls = case.get("classname", "").rsplit(".", 1)[-1]
    name = case.get("name", "")
    return {name, "%s::%s" % (cls, name)}


def summarize(path, known=None):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = skipped = 0
    known = known or {}
    for suite in suites:
        for case in suite.iter("testcase"):
            kinds = {child.tag for child in case}
            hit = [n for n in case_names(case) if n in known]
            if kinds & {"failure", "error"}:
                if hit:
                    skipped += 1
                    print("known failure: %s (%s)" % (hit[0], known[hit[0]]), file=sys.stderr)
                else:
                    failed += 1
            elif "skipped" in kinds:
                skipped += 1
            else:
                passed += 1
                if hit:
                    print("fixed (remove from the known list): %s" % hit[0], file=sys.stderr)
    return passed, failed, skipped


def main(argv):
    args = argv[1:]
    known = None
    if len(args) == 5 and args[1] == "--known" and args[3] == "--version":
        try:
            known = load_known(args[2], args[4])
        except OSError as exc:
            print("cannot read the known-failure list: %s" % exc, file=sys.stderr)
            return 1
    elif len(args) != 1:
        print("usage: junit_summary.py REPORT.xml [--known FILE --version V]", file=sys.stderr)
        return 2
    try:
        passed, failed, skipped = summarize(args[0], known)
    except (OSError, ET.ParseError) as exc:
        print("no readable JUnit report: %s" % exc, file=sys.stderr)
        return 1
    if known is not None:
        print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
        return 0
    if skipped:
        print("%d skipped (or expected failures)" % skipped, file=sys.stderr)
    print("%d passed, %d failed" % (passed, failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
