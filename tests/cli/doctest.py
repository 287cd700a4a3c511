#!/usr/bin/env python3
"""doctest.py SRC BUILD DOC: runs every command example of one document.

The examples of README.md and docs/*.md are run as a new user would run
them, so that a wrong path or option cannot ship (CTest: doc.NAME, one test
per document, whatever documents exist).

What runs:
  - a fenced block with lines that start with "$ " is a transcript: each
    such line is a command, the lines after it its output (not checked);
  - any other fenced block whose info string is sh, bash or shell is a
    script: its lines run in order in one bash (set -e -o pipefail), so
    variables carry;
  - other blocks (scenarios, reports, grammars) are not commands.
The blocks of a document run in order, in one prepared directory (below),
each under a time limit, in a process group of its own that is killed when
the block ends (nothing it started in the background outlives it).

Marks: an HTML comment on the last non-blank line before the opening fence
(invisible once rendered) says how to treat the block:
  <!-- doctest: skip: REASON -->     not run (a Mac, a live daemon, a
                                      build, a campaign of minutes), listed
                                      with the reason;
  <!-- doctest: needs: TOOL ... -->  run only where every TOOL is on PATH,
                                      else listed as skipped;
  <!-- doctest: exit: N -->          the block's commands must end with
                                      status N (default 0).
Several marks go in one comment, separated by ';':
  <!-- doctest: needs: tshark; exit: 1 -->

The prepared directory holds what the examples name: `kevrr` and `kevmond`
on PATH and ./build/default (the build under test); a copy of corpus/ and
links to contrib/ and scripts/; the example files boot.scn, boot.kev and
its goldens, my.scn, field.kev (the stale-key story of docs/field-bugs.md,
with defect D5 merged in), golden.report (its report), a.kev (defect D1), b.kev with b.golden (which diverges from its
report at batch 9), big.kev (3006 records over 6 s), flip.kev (big.kev with
one flipped byte), monday.kev, tuesday.kev, flap.scn, out/default/crashes/
(multi-batch fuzzer inputs) and corpus/single/ (single-batch ones).
It prints one line per block, "ok   DOC:LINE", "skip DOC:LINE (why)" or
"FAIL DOC:LINE: ..." with the command and its stderr, LINE being the line
of the block's opening fence.
Exit: 0 every example ran as marked; 1 one did not; 2 usage.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

TIMEOUT_S = 120
SCRIPT_INFOS = {"sh", "bash", "shell"}


def parse_marks(line):
    """The marks of an HTML comment line: {'skip': reason, 'needs': [..],
    'exit': n}; {} when the line is no doctest comment."""
    m = re.match(r"^\s*<!--\s*doctest:\s*(.*?)\s*-->\s*$", line)
    if not m:
        return {}
    marks = {}
    text = m.group(1)
    at = text.find("skip:")
    if at >= 0 or text.strip() == "skip":  # the reason is the rest, ';' and all
        marks["skip"] = text[at + 5:].strip() if at >= 0 else "marked skip"
        text = text[:at] if at >= 0 else ""
    for part in filter(str.strip, text.split(";")):
        key, _, value = part.strip().partition(":")
        key, value = key.strip(), value.strip()
        if key == "needs":
            marks["needs"] = value.split()
        elif key == "exit":
            marks["exit"] = int(value)
        else:
            raise ValueError("unknown doctest mark '%s' in: %s" % (key, line.strip()))
    return marks


def blocks(path):
    """(line, info, kind, commands, marks) per runnable block; kind is
    'script' (one command: the whole block) or 'transcript'."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i = [], 0  # each block: the 1-based line of its opening fence
    while i < len(lines):
        m = re.match(r"^(\s*)(```+|~~~+)\s*([A-Za-z0-9_+-]*)", lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group(2), m.group(3), i + 1
        j = start
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        body = lines[start:j]
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        marks = parse_marks(lines[k]) if k >= 0 else {}
        cmds = [b.strip()[2:] for b in body if b.strip().startswith("$ ")]
        if cmds:
            out.append((start, info, "transcript", cmds, marks))
        elif info in SCRIPT_INFOS:
            out.append((start, info, "script", ["\n".join(body)], marks))
        i = j + 1
    return out


def run(cmd, cwd, env, check=True):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                       errors="replace", timeout=TIMEOUT_S)
    if check and r.returncode != 0:
        raise RuntimeError("preparing the examples: %s exited %d: %s"
                           % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return r


def run_block(script, cwd, env):
    """Runs one example in a new session; returns (status, stderr). The
    session is killed at the end, with whatever it left running (stderr
    goes to a file, so that a background job holding it open does not keep
    the block from ending)."""
    with tempfile.TemporaryFile(mode="w+", errors="replace") as errf:
        p = subprocess.Popen(["bash", "-c", script], cwd=cwd, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=errf, start_new_session=True)
        try:
            rc = p.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            rc = "a timeout (%d s)" % TIMEOUT_S
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        errf.seek(0)
        return rc, errf.read()


def prepare(src, build, d, env):
    """The example files (see the top of this file)."""
    kevrr = ["kevrr"]
    shutil.copytree(os.path.join(src, "corpus"), os.path.join(d, "corpus"))
    for name in ("contrib", "scripts"):
        os.symlink(os.path.join(src, name), os.path.join(d, name))
    os.makedirs(os.path.join(d, "build"))
    os.symlink(build, os.path.join(d, "build", "default"))
    ex = os.path.join(src, "corpus", "examples")
    for f in os.listdir(ex):
        if f.startswith("boot."):
            shutil.copy(os.path.join(ex, f), d)
    shutil.copy(os.path.join(ex, "boot.scn"), os.path.join(d, "my.scn"))
    reg = os.path.join(src, "corpus", "regressions")
    stale = os.path.join(src, "corpus", "scenarios", "vpn-reconnect-recv-error.kev")
    run(kevrr + ["merge", "-o", "field.kev", stale,
                 os.path.join(reg, "d05-name-unterminated.kev")], d, env)
    with open(os.path.join(d, "golden.report"), "w") as f:
        f.write(run(kevrr + ["replay", "-q", "field.kev"], d, env).stdout)
    run(kevrr + ["merge", "-o", "a.kev", os.path.join(reg, "d01-size-zero.kev"), "boot.kev"],
        d, env)
    shutil.copy(os.path.join(d, "boot.kev"), os.path.join(d, "b.kev"))
    report = run(kevrr + ["replay", "-q", "b.kev"], d, env).stdout
    with open(os.path.join(d, "b.golden"), "w") as f:
        f.write(re.sub(r"(?m)^(batch 9 .*)$", r"\1 (changed)", report, count=1))
    big = ["at 1700000000"]
    for i in range(3000):
        big.append("at +2ms")
        big.append("lqm en%d %d" % (i % 4, i * 7919 % 101))
        if i % 500 == 499:
            big.append("error ENOBUFS")
    with open(os.path.join(d, "big.scn"), "w") as f:
        f.write("\n".join(big) + "\n")
    run(kevrr + ["gen", "big.scn", "-o", "big.kev"], d, env)
    data = bytearray(open(os.path.join(d, "big.kev"), "rb").read())
    second = int.from_bytes(data[16:18], "little") + 1  # member 1's offset
    data[second + 200] ^= 0x10  # inside member 1's deflate data
    open(os.path.join(d, "flip.kev"), "wb").write(bytes(data))
    for name, at in (("monday", "1700006400"), ("tuesday", "1700092800")):
        with open(os.path.join(d, name + ".scn"), "w") as f:
            f.write("at %s\nattach en0\nlink on en0\nlqm en0 50\n" % at)
        run(kevrr + ["gen", name + ".scn", "-o", name + ".kev"], d, env)
    with open(os.path.join(d, "flap.scn"), "w") as f:
        f.write("attach en0\nlink on en0\nat +1s\nlink off en0\nat +1s\nlink on en0\n")
    crashes = os.path.join(d, "out", "default", "crashes")
    os.makedirs(crashes)
    run(kevrr + ["export", "boot.kev", "--multi", "-o",
                 os.path.join(crashes, "id:000000,sig:06,src:000000")], d, env)
    run(kevrr + ["export", "a.kev", "-o", os.path.join(d, "corpus", "single")], d, env)


def main():
    if len(sys.argv) != 4:
        print("usage: doctest.py SRC BUILD DOC", file=sys.stderr)
        return 2
    src, build, doc = (os.path.abspath(a) for a in sys.argv[1:])
    rel = os.path.relpath(doc, src)
    if rel.startswith(".."):
        rel = os.path.basename(doc)
    try:
        found = blocks(doc)
    except ValueError as e:
        print("FAIL %s: %s" % (rel, e))
        return 1
    d = tempfile.mkdtemp(prefix="kevrr-doctest-")
    try:
        bindir = os.path.join(d, ".bin")
        os.makedirs(bindir)
        for tool, sub in (("kevrr", "replay"), ("kevmond", "daemon")):
            target = os.path.join(build, sub, tool)
            if os.path.exists(target):
                os.symlink(target, os.path.join(bindir, tool))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
                   HOME=d, TZ="UTC", LC_ALL="C")
        prepare(src, build, d, env)
        failures = ran = skipped = 0
        for line, info, kind, cmds, marks in found:
            where = "%s:%d" % (rel, line)
            missing = [t for t in marks.get("needs", []) if shutil.which(t, path=env["PATH"]) is None]
            if "skip" in marks or missing:
                why = marks.get("skip") or "needs %s, not installed here" % " ".join(missing)
                print("skip %s (%s)" % (where, why))
                skipped += 1
                continue
            want = marks.get("exit", 0)
            for cmd in cmds:
                script = ("set -e -o pipefail\n" if want == 0 else "set -o pipefail\n") + cmd
                rc, err = run_block(script, d, env)
                if rc != want:
                    failures += 1
                    print("FAIL %s: exited %s, expected %d\n  %s\n  stderr: %s"
                          % (where, rc, want, cmd.replace("\n", "\n  "),
                             err.strip()[-2000:].replace("\n", "\n  ")))
                    break
            else:
                ran += 1
                print("ok   %s" % where)
        print("%s: %d block(s) ran, %d skipped, %d failed" % (rel, ran, skipped, failures))
        return 1 if failures else 0
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        print("FAIL %s: %s" % (rel, e))
        return 1
    finally:
        subprocess.run(["chmod", "-R", "u+w", d], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
