#!/usr/bin/env bash
# Refresh the translation catalogues after adding or changing user-visible strings:
#   bash scripts/translations.sh          extract, update fi/sv catalogues, compile
# Then fill in the empty msgstr entries in booking/translations/{fi,sv}/LC_MESSAGES/messages.po
# and run it again to compile. tests/test_translations.py fails while any entry is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 \
  --no-location --sort-output --omit-header -o booking/translations/messages.pot .
for lang in fi sv; do
  if [ -f "booking/translations/$lang/LC_MESSAGES/messages.po" ]; then
    "$PYBABEL" update --no-fuzzy-matching -i booking/translations/messages.pot -d booking/translations -l "$lang"
  else
    "$PYBABEL" init -i booking/translations/messages.pot -d booking/translations -l "$lang"
  fi
done
"$PYBABEL" compile -d booking/translations --statistics 2>&1 || true
