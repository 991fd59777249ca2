# Turns a ThreadSanitizer report into one line a student can act on.
#
# usage: awk -f grading/lib/tsan-reason.awk REPORT
# For a data race: both accesses, each as the first frame in the student's
# own code (function and file:line; frames in the lab's driver, labs/common
# and the sanitizer's runtime are skipped), what each did, and which locks
# each thread held, e.g.
#   ThreadSanitizer: data race: gil_release (student.c:52) writes holding no
#   lock, while gil_acquire (student.c:40) read it earlier in another thread
#   holding a lock
# Any other report (a lock-order inversion, an unlock of an unlocked mutex,
# ...): its SUMMARY line; without one, its WARNING line. Folders are dropped
# from file names: a student knows their file by its name.
function base(s) { sub(/.*\//, "", s); return s }
function ours(file) { return file !~ /(^|\/)(test\.c|lab\.c|perturb\.c)$/ && file !~ /sanitizer|tsan_|^\/usr\// }
function locks(line) {
    if (line ~ /\(mutexes: /) return "holding a lock"
    return "holding no lock"
}
BEGIN { n = 0 }
/^WARNING: ThreadSanitizer: / && warning == "" { warning = $0; sub(/^WARNING: /, "", warning); sub(/ \(pid=[0-9]+\)$/, "", warning) }
/^SUMMARY: ThreadSanitizer/ && summary == "" { summary = $0; sub(/^SUMMARY: /, "", summary) }
# An access header: "  Read of size 8 at ... by thread T2 (mutexes: ...):" or
# "  Previous write of size 8 ..." (atomic accesses say "Atomic read" etc.).
warning ~ /data race/ && /^  (Previous )?(atomic )?([Aa]tomic )?(read|write|Read|Write)[^:]* of size [0-9]+ at / && n < 2 {
    n++
    kind[n] = (tolower($0) ~ /write/) ? "writes" : "reads"
    if (n == 2) kind[n] = (kind[n] == "writes") ? "wrote it earlier" : "read it earlier"
    held[n] = locks($0)
    want = n
    next
}
want && /^    #[0-9]+ / {
    # "#0 func file:line (module+off)"
    file = $3
    sub(/:[0-9]+$/, "", file)
    if (ours(file) && where[want] == "") {
        where[want] = $2 " (" base($3) ")"
    }
    if (first[want] == "") first[want] = $2 " (" base($3) ")"
    next
}
want && /^$/ { want = 0 }
END {
    if (warning ~ /data race/ && n == 2) {
        for (i = 1; i <= 2; i++) if (where[i] == "") where[i] = first[i]
        # TSan keeps an earlier access's stack for a while only; without it
        # ("[failed to restore the stack]") the other thread is named alone.
        if (where[2] == "") who = "another thread " substr(kind[2], 1, index(kind[2], " it") - 1) " it earlier (TSan no longer had its stack: run the replay again to see it)"
        else who = where[2] " " kind[2] " in another thread"
        if (where[2] == "") printf "ThreadSanitizer: data race: %s %s %s, while %s, %s\n", where[1], kind[1], held[1], who, held[2]
        else printf "ThreadSanitizer: data race: %s %s %s, while %s %s\n", where[1], kind[1], held[1], who, held[2]
    } else if (summary != "") {
        s = summary
        # "... labs/01-race-counter/broken.c:21 in counter_inc": no folders
        while (match(s, /[^ ]*\/[^ \/]+:[0-9]+/)) {
            t = substr(s, RSTART, RLENGTH); s = substr(s, 1, RSTART - 1) base(t) substr(s, RSTART + RLENGTH)
        }
        print s
    } else if (warning != "") {
        print substr(warning, 1, 300)
    }
}
