#!/usr/bin/env python3
"""Cuts a Wine conformance test file into units the watchdog can run alone.

  units.py IN.c OUT.c

A Wine test file ends with START_TEST(name) { ... }, a list of statements
that call the file's test functions in turn.  Each top-level statement that
calls a test function (a plain `test_x(...);`, or a loop around one) becomes
a unit: OUT.c wraps it as `if (w2u_unit_begin(N, "name")) { stmt }
w2u_unit_end(N);`, so that driver.c can skip units already run before a
hang or crash, mark where each one starts and ends, and count its checks.
Other statements (start-up, clean-up, declarations) run as they are.

Everything stays on its line: the checks' file:line in the output are those
of Wine's own file, which the expected-failures list names.  Prints the
units, one per line, "N name".
"""
import re
import sys


def skip_literal(text, i):
    """Index after the comment or string literal starting at i, or i."""
    if text.startswith("/*", i):
        return text.index("*/", i + 2) + 2
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text[i] in "\"'":
        quote, j = text[i], i + 1
        while text[j] != quote:
            j += 2 if text[j] == "\\" else 1
        return j + 1
    return i


def matching_brace(text, open_at):
    depth, i = 0, open_at
    while i < len(text):
        j = skip_literal(text, i)
        if j != i:
            i = j
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise SystemExit("units.py: unbalanced braces in START_TEST")


def statements(body):
    """(start, end) of each top-level statement of a block's inside."""
    out, start, parens, braces, i = [], None, 0, 0, 0
    while i < len(body):
        j = skip_literal(body, i)
        if j != i:
            i = j
            continue
        c = body[i]
        if start is None and not c.isspace():
            start = i
        if c == "(":
            parens += 1
        elif c == ")":
            parens -= 1
        elif c == "{":
            braces += 1
        elif c == "}":
            braces -= 1
            # A compound statement (a loop's block) ends at its brace,
            # unless an else or a while follows.
            if braces == 0 and parens == 0 and not re.match(r"\s*(else\b|while\b|;)", body[i + 1:]):
                out.append((start, i + 1))
                start = None
        elif c == ";" and parens == 0 and braces == 0:
            out.append((start, i + 1))
            start = None
        i += 1
    return out


def strip_comments(text):
    out, i = [], 0
    while i < len(text):
        j = skip_literal(text, i)
        if j != i:
            if text[i] in "\"'":
                out.append(text[i:j])
            i = j
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


CALL = re.compile(r"\b((?:test_|do_test)\w*)\s*\(")


def main():
    src_path, out_path = sys.argv[1], sys.argv[2]
    text = open(src_path, encoding="utf-8", errors="surrogateescape").read()
    m = re.search(r"^START_TEST\s*\(\s*(\w+)\s*\)\s*\{", text, re.M)
    if not m:
        raise SystemExit(f"units.py: no START_TEST in {src_path}")
    open_at = m.end() - 1
    close_at = matching_brace(text, open_at)
    body = text[open_at + 1:close_at]

    pieces, last, units = [], 0, []
    for start, end in statements(body):
        stmt = body[start:end]
        code = strip_comments(stmt).strip()
        call = CALL.search(code)
        # Declarations stay where they are; so do statements that call no
        # test function (WSAStartup, Init(), ok(...) on their result).
        if not call or re.match(r"(int|unsigned|WSADATA|BOOL|DWORD|char|HANDLE)\b", code):
            continue
        n = len(units)
        units.append(call.group(1))
        pieces.append(body[last:start])
        # The wrapper adds no line: the statement keeps its lines.
        pieces.append(f'if (w2u_unit_begin({n}, "{call.group(1)}")) {{ {stmt} }} w2u_unit_end({n}); ')
        last = end
    pieces.append(body[last:])
    if not units:
        raise SystemExit(f"units.py: START_TEST in {src_path} calls no test function")

    prologue = "extern int w2u_unit_begin(int, const char *); extern void w2u_unit_end(int); "
    # On START_TEST's own line, so that no line moves.
    head = text[:m.start()]
    out = head + prologue + text[m.start():open_at + 1] + "".join(pieces) + text[close_at:]
    assert out.count("\n") == text.count("\n")
    with open(out_path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(out)
    for n, name in enumerate(units):
        print(n, name)


if __name__ == "__main__":
    main()
