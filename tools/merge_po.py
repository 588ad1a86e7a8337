#!/usr/bin/env python3
"""Git merge driver for gettext catalogs: the union of both sides.

Two branches that each add strings touch the same .po files; a line merge conflicts
where a catalog merge cannot: every entry of either side is kept, and where one side
has a translation and the other an empty msgstr, the translation wins (ours on a tie).
`tools/i18n.py all` afterwards drops entries gone from the source and re-sorts.

    git config merge.po-union.driver '.venv/bin/python tools/merge_po.py %O %A %B'
    (.gitattributes: translations/** merge=po-union)
"""
import sys

from babel.messages.pofile import read_po, write_po


def load(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def main(_base, ours_path, theirs_path) -> int:
    ours, theirs = load(ours_path), load(theirs_path)
    for message in theirs:
        if not message.id:
            continue
        mine = ours.get(message.id, message.context)
        if mine is None:
            ours[message.id] = message
        elif not mine.string and message.string:
            mine.string = message.string
            mine.flags.discard("fuzzy")
    with open(ours_path, "wb") as fh:
        write_po(fh, ours, width=None, ignore_obsolete=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
