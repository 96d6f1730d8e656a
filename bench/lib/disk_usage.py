#!/usr/bin/env python3
"""On-disk size of one user's mail and of everything else the server keeps
for it (index, caches, search index), as a JSON document for report.py.

    disk_usage.py loft    <data>/mail/<user>   USER
    disk_usage.py dovecot <home>/Maildir       USER

Loft: mail = everything under <data>/mail/<user>/Maildir; index = every
other file under <data>/mail/<user>/ (index.sqlite and its WAL, and any
search index that appears there).
Dovecot: mail = the files in cur/, new/, tmp/ (of INBOX and of every
.folder); index = every other file (dovecot.index*, dovecot-uidlist, ...).
Sizes are allocated blocks (what du shows), in KiB.
"""
import json
import os
import sys


def allocated_kb(path):
    st = os.lstat(path)
    return st.st_blocks * 512 / 1024.0


def walk_files(root):
    for d, _, files in os.walk(root):
        for f in files:
            yield os.path.join(d, f)


def main(argv):
    if len(argv) != 4 or argv[1] not in ('loft', 'dovecot'):
        sys.stderr.write(__doc__)
        return 2
    kind, root, user = argv[1], argv[2], argv[3]
    mail_kb = index_kb = 0.0
    mail_files = 0
    index = {}
    for p in walk_files(root):
        rel = os.path.relpath(p, root)
        parts = rel.split(os.sep)
        if kind == 'loft':
            is_mail = parts[0] == 'Maildir'
        else:
            is_mail = len(parts) >= 2 and parts[-2] in ('cur', 'new', 'tmp')
        kb = allocated_kb(p)
        if is_mail:
            mail_kb += kb
            mail_files += 1
        else:
            index_kb += kb
            index[rel] = round(kb, 1)
    doc = {
        'workload': 'disk-usage', 'ok': True, 'violations': 0, 'errors': 0,
        'params': {'user': user}, 'path': root,
        'results': {'mail_messages': mail_files, 'mail_mb': round(mail_kb / 1024.0, 1),
                    'index_mb': round(index_kb / 1024.0, 2),
                    'index_per_message_bytes': round(index_kb * 1024.0 / mail_files, 1) if mail_files else 0},
        'index_files': index,
    }
    print(json.dumps(doc, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
