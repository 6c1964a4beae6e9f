#!/usr/bin/python3
"""Verifies every DKIM-Signature of a message with dkimpy (Debian's python3-dkim), an implementation that is
not ours. The public keys come from a file instead of DNS, one TXT record per line:

    SELECTOR._domainkey.DOMAIN v=DKIM1; k=rsa; p=...

Usage: verify.py KEYS MESSAGE
Prints one line per signature, "PASS i a=... c=... s=..." or "FAIL i ...", and exits 0 only if the message
has at least one signature and every one verifies (1 if one fails, 2 on a usage error).
"""
import re
import sys

import dkim


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    records = {}
    with open(sys.argv[1], 'rb') as f:
        for line in f:
            line = line.strip()
            if line:
                name, txt = line.split(b' ', 1)
                records[name.rstrip(b'.').lower()] = txt
    with open(sys.argv[2], 'rb') as f:
        message = f.read()

    def dnsfunc(name, timeout=5):
        return records.get(name.rstrip(b'.').lower())

    d = dkim.DKIM(message)
    signatures = [v for k, v in d.headers if k.lower() == b'dkim-signature']
    if not signatures:
        print('FAIL no DKIM-Signature header')
        return 1
    ok = True
    for i, value in enumerate(signatures):
        tags = dict((m.group(1), re.sub(rb'\s+', b'', m.group(2)))
                    for m in re.finditer(rb'(\w+)\s*=\s*([^;]*)', value))
        describe = 'a=%s c=%s d=%s s=%s' % tuple(tags.get(t, b'?').decode() for t in (b'a', b'c', b'd', b's'))
        try:
            passed = dkim.DKIM(message).verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            passed = False
            describe += ' (%s)' % e
        print('%s %d %s' % ('PASS' if passed else 'FAIL', i, describe))
        ok = ok and passed
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
