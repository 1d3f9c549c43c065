"""Offline cross-check of spec/*.json against PyKMIP's kmip/core/enums.py (not used by CI).

Run from the repository root with the Debian python3-pykmip package installed:
    /usr/bin/python3 scripts/spec/crosscheck-pykmip.py
Prints every PyKMIP value that is missing here or named differently. Known, accepted
differences (PyKMIP's choices, not the spec's) are listed in spec/README.md.
"""
import json, enum, re
from kmip.core import enums as E
mine = {}
for f,k in [('enumerations','enumerations'),('masks','masks'),('pkcs11','enumerations')]:
    for g in json.load(open(f'spec/{f}.json'))[k]:
        mine[re.sub(r'[^a-z0-9]','',g['name'].lower())] = {int(v['value'],16): v for v in g['values']}
tags = {int(t['value'],16): t for t in json.load(open('spec/tags.json'))['tags']}
def norm(s): return re.sub(r'[^a-z0-9]','',s.lower())
def names_of(v): return {norm(x['name']) for x in v.get('versions',{}).values()} | {norm(v['name'])}
missing_classes=[]
for name in dir(E):
    cls = getattr(E, name)
    if not (isinstance(cls, type) and issubclass(cls, enum.Enum)): continue
    if name == 'Tags':
        for m in cls:
            t = tags.get(m.value)
            if t is None: print('TAG missing', m.name, hex(m.value)); continue
            if norm(m.name) not in names_of(t): print('TAG name diff', hex(m.value), m.name, '| mine', t['name'])
        continue
    g = mine.get(norm(name))
    if g is None: missing_classes.append(name); continue
    for m in cls:
        if not isinstance(m.value, int): continue
        v = g.get(m.value)
        if v is None: print(name, 'missing value', m.name, hex(m.value)); continue
        if norm(m.name) not in names_of(v): print(name, 'name diff', hex(m.value), m.name, '| mine', v['name'])
print('pykmip classes not matched:', missing_classes)
