#!/usr/bin/env bash
# Fills fuzz/corpus/{parse,eval} with seed inputs, copied from the language
# corpus (lang/corpus), the standard classes (stdlib/classes) and the small
# hand-written seeds in fuzz/seeds. Nothing here is committed: fuzz/corpus
# is in .gitignore. Safe to run again; it only adds files.
set -euo pipefail
cd "$(dirname "$0")"
root=..
mkdir -p corpus/parse corpus/eval

name() { printf '%s' "$1" | sed 's|^\./||; s|/|_|g'; }

# parse: every source file as it is.
while IFS= read -r -d '' f; do
    cp "$f" "corpus/parse/lang-$(name "${f#"$root"/lang/corpus/}")"
done < <(find "$root/lang/corpus" -type f \( -name '*.gr' -o -name '*.inc' -o -name '*.grclass' \) -print0)
for f in "$root"/stdlib/classes/*.grclass; do
    cp "$f" "corpus/parse/stdlib-$(basename "$f")"
    cp "$f" "corpus/eval/stdlib-$(basename "$f")"
done

# eval: each recipe followed by the other files of its directory, each after
# a `--- RELATIVE/PATH` line, which the eval target turns back into files
# beside the recipe (so `require common.inc` and `inherit greet` resolve).
while IFS= read -r -d '' recipe; do
    dir=$(dirname "$recipe")
    out="corpus/eval/lang-$(name "${recipe#"$root"/lang/corpus/}")"
    cp "$recipe" "$out"
    while IFS= read -r -d '' other; do
        [ -n "$(tail -c1 "$out")" ] && printf '\n' >> "$out"
        printf -- '--- %s\n' "${other#"$dir"/}" >> "$out"
        cat "$other" >> "$out"
    done < <(find "$dir" -type f ! -name '*.gr' -print0 | sort -z)
done < <(find "$root/lang/corpus" -type f -name '*.gr' -print0)

# Hand-written seeds serve both targets.
for f in seeds/*; do
    [ -f "$f" ] || continue
    cp "$f" "corpus/parse/seed-$(basename "$f")"
    cp "$f" "corpus/eval/seed-$(basename "$f")"
done

echo "parse: $(ls corpus/parse | wc -l) files, eval: $(ls corpus/eval | wc -l) files"
