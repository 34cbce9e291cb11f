"""Turns the README's examples into one bash script: every ```sh block
that talks to the service (localhost:8080), in the README's order, with
the port replaced by PORT and the placeholder PRINTED-PASSWORD by the
demo admin's password. A command followed by a line `# {...}` (or
`# [...]`) must answer JSON that contains it: every key given with the
value given ("…" stands for any value). Used by scripts/readme-examples.sh.

    python3 scripts/readme_examples.py README.md PORT PASSWORD > examples.sh
"""

import re
import shlex
import sys

PRELUDE = r"""set -euo pipefail
# Any answer of 400 or more stops the run, with its body shown; no
# request waits longer than 30 s (a later --max-time wins).
curl() { command curl --fail-with-body --max-time 30 "$@"; }
__expect() {
  python3 - "$1" "$2" <<'PY'
import json, sys
actual, expected = sys.argv[1], sys.argv[2]
def contains(a, e):
    if e == "\u2026":
        return True
    if isinstance(e, dict):
        return isinstance(a, dict) and all(k in a and contains(a[k], v) for k, v in e.items())
    if isinstance(e, list):
        return isinstance(a, list) and len(a) == len(e) and all(contains(x, y) for x, y in zip(a, e))
    return a == e
try:
    got = json.loads(actual)
except ValueError:
    sys.exit(f"readme-examples: not JSON: {actual[:300]!r}, expected {expected}")
if not contains(got, json.loads(expected)):
    sys.exit(f"readme-examples: expected {expected}\n  got {actual}")
PY
}
"""


def blocks(text):
    for m in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
        if "localhost:8080" in m.group(1):
            yield text.count("\n", 0, m.start()) + 1, m.group(1)


def statements(block):
    """Logical lines: a line ending in a backslash goes on."""
    out, cur = [], []
    for line in block.splitlines():
        cur.append(line)
        if not line.endswith("\\"):
            out.append("\n".join(cur))
            cur = []
    if cur:
        out.append("\n".join(cur))
    return out


def main():
    path, port, password = sys.argv[1], sys.argv[2], sys.argv[3]
    text = open(path, encoding="utf-8").read()
    print(PRELUDE)
    for line_no, block in blocks(text):
        block = block.replace("localhost:8080", f"localhost:{port}")
        block = block.replace("PRINTED-PASSWORD", shlex.quote(password))
        print(f"echo {shlex.quote(f'--- README.md line {line_no}')}")
        stmts = statements(block)
        for i, st in enumerate(stmts):
            nxt = stmts[i + 1] if i + 1 < len(stmts) else ""
            m = re.match(r"^# ([\[{].*)$", nxt)
            if m and st.strip() and not st.lstrip().startswith("#"):
                print(f"__out=$({st})")
                print('printf \'%s\\n\' "$__out"')
                print(f"__expect \"$__out\" {shlex.quote(m.group(1))}")
            else:
                print(st)
    print("echo 'readme-examples: every example ran as written'")


if __name__ == "__main__":
    main()
