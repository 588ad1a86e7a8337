#!/usr/bin/env python3
"""Maintain the console's gettext catalogs (see translations/README.md).

Usage: .venv/bin/python tools/i18n.py [extract|update|fill|check|compile|all]

extract  pybabel extract (babel.cfg) -> translations/messages.pot
update   pybabel update each catalog from the .pot (pybabel init if missing),
         without fuzzy matching; entries gone from the source are dropped
fill     zh:          empty entries whose msgid is Chinese get msgstr = msgid
         zh_Hant_TW:  empty entries get OpenCC s2twp of the zh msgstr, then
                      TW_FIXUPS (printed: a human reviews each of them)
         en:          empty entries whose msgid has no Chinese get msgstr = msgid
check    untranslated / fuzzy counts and placeholder errors per catalog;
         exits 1 when zh or zh_Hant_TW is incomplete or a placeholder is wrong
compile  pybabel compile every catalog to .mo (built by make, not committed)
all      extract, update, fill, check, compile (the default)

Every step is idempotent: a file is rewritten only when its content changes.
"""
import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CFG = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
DOMAIN = "messages"
# Folder names: Flask-Babel looks for str(Locale.parse(key)) of each LANGUAGES
# key, so "zh_TW" is looked up as zh_Hant_TW (then falls back to zh).
SIMPLIFIED, TRADITIONAL, ENGLISH = "zh", "zh_Hant_TW", "en"
LOCALES = (SIMPLIFIED, TRADITIONAL, ENGLISH)
KEYWORDS = ("_", "_l", "gettext", "lazy_gettext", "ngettext:1,2",
            "lazy_ngettext:1,2", "pgettext:1c,2", "lazy_pgettext:1c,2")
# pybabel and write_po must agree on these, or each step would rewrite files.
WRAP_OPTS = ("--no-wrap",)
WIDTH = None
# Known s2twp results that Taiwan software does not use; applied after
# OpenCC, before a human reviews the entry.
TW_FIXUPS = {
    "許可權": "權限",        # 权限 (permission)
    "使用者組": "使用者群組",  # 用户组
    "電子郵箱": "電子郵件",    # 电子邮箱
    "退出登入": "登出",        # 退出登录
    "型別": "類型",            # 类型 outside programming
    "引數": "參數",            # 参数 (request parameter)
    "賬號": "帳號",            # 账号 (login account)
    "當前": "目前",            # 当前
    "稽核": "審核",            # 审核 (review step); s2twp makes it 稽核 (audit)
    "模板": "範本",            # 导入模板 (import template)
    "只讀": "唯讀",            # 只读 (read-only)
    "不透過": "不通過",        # 不通过 (fails a check); s2twp reads 通过 as "via"
    "錄入": "輸入",            # 录入 (enter data)
    "帕累託圖": "柏拉圖",      # 帕累托图 (Pareto chart)
}
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def pybabel(*args):
    cmd = [sys.executable, "-m", "babel.messages.frontend", *args]
    subprocess.run(cmd, cwd=ROOT, check=True)


def po_path(locale):
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def has_han(text):
    if isinstance(text, (tuple, list)):
        return any(has_han(t) for t in text)
    return bool(HAN.search(text or ""))


def is_ours(text):
    """Our (Chinese) source strings: Han characters, or only placeholders and CJK
    punctuation such as "%(row)s：%(message)s"; FAB's are English."""
    if isinstance(text, (tuple, list)):
        return any(is_ours(t) for t in text)
    bare = re.sub(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}", "", text or "")
    return has_han(text) or not re.search(r"[A-Za-z]", bare)


def is_empty(message):
    if isinstance(message.string, (tuple, list)):
        return not any(message.string)
    return not message.string


def _strip_creation_date(text):
    return re.sub(r'^"POT-Creation-Date: .*\\n"$', "", text, flags=re.M)


def extract():
    TRANSLATIONS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "messages.pot"
        args = ["extract", "-F", str(CFG), "--no-location", "--sort-output",
                "--add-comments=TRANSLATORS:", "--project=console", *WRAP_OPTS,
                "-o", str(out)]
        for keyword in KEYWORDS:
            args += ["-k", keyword]
        pybabel(*args, ".")
        new = out.read_text(encoding="utf-8")
    old = POT.read_text(encoding="utf-8") if POT.exists() else None
    if old is None or _strip_creation_date(old) != _strip_creation_date(new):
        POT.write_text(new, encoding="utf-8")
        print(f"wrote {POT.relative_to(ROOT)}")
    else:
        print(f"{POT.relative_to(ROOT)} unchanged")


def update():
    if not POT.exists():
        extract()
    for locale in LOCALES:
        path = po_path(locale)
        if not path.exists():
            pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-D", DOMAIN,
                    "-l", locale, *WRAP_OPTS)
        before = path.read_bytes()
        pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-D", DOMAIN,
                "-l", locale, "--no-fuzzy-matching", "--ignore-obsolete",
                "--ignore-pot-creation-date", *WRAP_OPTS)
        if path.read_bytes() != before:
            print(f"updated {path.relative_to(ROOT)}")


def load(locale):
    with open(po_path(locale), "rb") as fh:
        return read_po(fh, locale=locale, domain=DOMAIN)


def save(locale, catalog):
    """Write the catalog back only when its text changed."""
    buf = io.BytesIO()
    write_po(buf, catalog, width=WIDTH, ignore_obsolete=True)
    path = po_path(locale)
    if path.read_bytes() != buf.getvalue():
        path.write_bytes(buf.getvalue())
        return True
    return False


def fill():
    from opencc import OpenCC

    opencc = OpenCC("s2twp")

    def s2twp(text):
        text = opencc.convert(text)
        for wrong, right in TW_FIXUPS.items():
            text = text.replace(wrong, right)
        return text

    zh = load(SIMPLIFIED)
    count = 0
    for message in zh:
        if message.id and is_empty(message) and is_ours(message.id):
            if message.pluralizable:
                message.string = (message.id[0],) * zh.num_plurals
            else:
                message.string = message.id
            count += 1
    save(SIMPLIFIED, zh)
    print(f"zh: filled {count} Chinese msgid(s) with msgstr = msgid")

    tw = load(TRADITIONAL)
    filled, missing = [], []
    for message in tw:
        if not message.id or not is_empty(message):
            continue
        source = zh.get(message.id, message.context)
        if source is None or is_empty(source):
            missing.append(message)
            continue
        if message.pluralizable:
            text = source.string[0] if source.string else ""
            message.string = (s2twp(text),) * tw.num_plurals
        else:
            message.string = s2twp(source.string)
        message.flags.discard("fuzzy")
        filled.append(message)
    save(TRADITIONAL, tw)
    print(f"zh_Hant_TW: filled {len(filled)} entr(y/ies) by OpenCC s2twp"
          + ("; REVIEW them:" if filled else ""))
    for message in filled:
        print(f"  {_show(message.id)}  ->  {_show(message.string)}")
    if missing:
        print(f"zh_Hant_TW: {len(missing)} left empty (zh has no translation yet):")
        for message in missing:
            print(f"  {_show(message.id)}")

    en = load(ENGLISH)
    count, chinese = 0, []
    for message in en:
        if not message.id or not is_empty(message):
            continue
        if is_ours(message.id):
            chinese.append(message)
        else:
            message.string = message.id if not message.pluralizable else tuple(message.id)
            count += 1
    save(ENGLISH, en)
    print(f"en: filled {count} English msgid(s) with msgstr = msgid")
    if chinese:
        print(f"en: {len(chinese)} Chinese msgid(s) need an English translation:")
        for message in chinese:
            print(f"  {_show(message.id)}")


def _show(value):
    if isinstance(value, (tuple, list)):
        value = " | ".join(value)
    return repr(value)


PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def placeholder_errors(catalog):
    """Babel's checks plus: msgstr must use the same placeholders as msgid."""
    for message, errors in catalog.check():
        for error in errors:
            yield message, str(error)
    for message in catalog:
        if not message.id or is_empty(message) or "python-format" not in message.flags:
            continue
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            found = sorted(PLACEHOLDER.findall(string))
            if found != wanted:
                yield message, f"placeholders {found} differ from msgid's {wanted}"


def check():
    bad = False
    for locale in LOCALES:
        catalog = load(locale)
        total = untranslated = fuzzy = 0
        for message in catalog:
            if not message.id:
                continue
            total += 1
            if message.fuzzy:
                fuzzy += 1
            elif is_empty(message):
                untranslated += 1
        errors = list(placeholder_errors(catalog))
        print(f"{po_path(locale).relative_to(ROOT)}: {untranslated} untranslated, "
              f"{fuzzy} fuzzy, {len(errors)} placeholder error(s) of {total}")
        for message, error in errors:
            print(f"  {_show(message.id)}: {error}")
        if errors or (locale != ENGLISH and (untranslated or fuzzy)):
            bad = True
    return 1 if bad else 0


def compile_():
    pybabel("compile", "-d", str(TRANSLATIONS), "-D", DOMAIN, "--statistics")


def main(argv):
    command = argv[1] if len(argv) > 1 else "all"
    steps = {
        "extract": [extract],
        "update": [update],
        "fill": [fill],
        "check": [check],
        "compile": [compile_],
        "all": [extract, update, fill, check, compile_],
    }
    if command not in steps or len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    status = 0
    for step in steps[command]:
        status = step() or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
