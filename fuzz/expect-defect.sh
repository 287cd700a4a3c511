#!/usr/bin/env bash
# fuzz/expect-defect.sh TARGET INPUT ID: runs a legacy fuzz target on INPUT
# with only defect ID selected (KEV_FUZZ_DEFECTS=ID) and passes when the
# target aborts and its message carries the id first, "kevrr defect DID (",
# the line the engines deduplicate on. CTest cannot match the output of a
# process that dies by a signal, hence this wrapper.
set -u
if [ $# -ne 3 ]; then
    echo "usage: fuzz/expect-defect.sh TARGET INPUT ID" >&2
    exit 2
fi
err=$(KEV_FUZZ_DEFECTS=$3 "$1" "$2" 2>&1 >/dev/null)
rc=$?
if [ "$rc" -eq 0 ]; then
    echo "FAIL: $1 $2: exit 0, D$3 was not reported" >&2
    printf '%s\n' "$err" >&2
    exit 1
fi
first=$(printf '%s\n' "$err" | grep -m1 '^kevrr ')
case "$first" in
"kevrr defect D$3 ("*) echo "ok: $first" ;;
*)
    echo "FAIL: $1 $2: exit $rc, first kevrr line: '$first' (want 'kevrr defect D$3 (')" >&2
    printf '%s\n' "$err" | tail -n 20 >&2
    exit 1
    ;;
esac
