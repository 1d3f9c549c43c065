"""Print known-failure lines ("VERSION Class::test  # reason") for the failures in a JUnit report.

Usage: known_from_junit.py VERSION REPORT.xml. Used to refresh upstream-known-failures.txt.
"""
import sys, xml.etree.ElementTree as ET
version, path = sys.argv[1], sys.argv[2]
for case in ET.parse(path).getroot().iter("testcase"):
    bad = [c for c in case if c.tag in ("failure", "error")]
    if not bad:
        continue
    msg = (bad[0].get("message") or "").replace("\n", " ")
    cls = case.get("classname", "").rsplit(".", 1)[-1]
    if "OPERATION_NOT_SUPPORTED" in msg or "Operation not supported" in msg:
        why = "kmipd does not implement an operation this test uses yet (Operation Not Supported)"
    else:
        why = "kmipd: " + msg[:140]
    print("%s %s::%s  # %s" % (version, cls, case.get("name"), why))
