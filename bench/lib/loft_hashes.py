#!/usr/bin/env python3
"""Prints "name<TAB>password_hash" for the named users of a Loft users.db, so
that the private Dovecot's passwd-file can hold exactly the hashes Loft
verifies against (same scheme, same cost parameters).

    loft_hashes.py DATA/users.db bench1 bench2 ...
"""
import sqlite3
import sys


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    db = sqlite3.connect('file:%s?mode=ro' % argv[1], uri=True)
    wanted = argv[2:]
    rows = dict(db.execute('SELECT name, password_hash FROM users'))
    missing = [u for u in wanted if u not in rows]
    if missing:
        sys.stderr.write('loft_hashes.py: not in %s: %s\n' % (argv[1], ' '.join(missing)))
        return 1
    for u in wanted:
        h = rows[u]
        if '\t' in h or '\n' in h or ':' in h:
            sys.stderr.write('loft_hashes.py: hash of %s unusable in a passwd-file\n' % u)
            return 1
        print('%s\t%s' % (u, h))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
