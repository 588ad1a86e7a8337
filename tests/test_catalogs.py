"""Every string a user sees is translated: the catalogs match the source, and the Chinese
catalogs (and English) have no untranslated or fuzzy entries."""
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO_CHECK = ROOT.parent / "shared" / "tools" / "po_check.py"


def catalog(locale):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def test_catalogs_hold_every_string_of_the_source(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as fh:
        source = {m.id for m in read_po(fh) if m.id}
    for locale in ("zh", "zh_Hant_TW", "en"):
        missing = source - {m.id for m in catalog(locale) if m.id}
        assert not missing, f"{locale}: run `make translations`; missing {sorted(missing)[:5]}"


@pytest.mark.parametrize("locale", ["zh", "zh_Hant_TW", "en"])
def test_no_untranslated_or_fuzzy_entries(locale):
    bad = [m.id for m in catalog(locale) if m.id and (m.fuzzy or not m.string)]
    assert not bad, f"{locale}: {bad[:10]}"


@pytest.mark.skipif(not PO_CHECK.exists(), reason="shared/tools/po_check.py not beside the repo")
@pytest.mark.parametrize("locale", ["zh", "zh_Hant_TW"])
def test_po_check_passes(locale):
    po = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    result = subprocess.run([sys.executable, str(PO_CHECK), str(po)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout
