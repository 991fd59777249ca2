# Lists the checks of a grade.bats: one line each, "name<TAB>points<TAB>tags",
# in file order. Points and tags come from the `# bats test_tags=` line just
# above the @test (points:N is the points; the other tags follow, comma-separated).
# usage: awk -f grading/lib/checks.awk labs/NN-slug/grade.bats
/^# bats test_tags=/ {
    tags = $0
    sub(/^# bats test_tags=/, "", tags)
    gsub(/ /, "", tags)
    next
}
/^@test / {
    name = $0
    sub(/^@test "/, "", name)
    sub(/" *\{ *$/, "", name)
    pts = 0
    rest = ""
    n = split(tags, t, ",")
    for (i = 1; i <= n; i++) {
        if (t[i] ~ /^points:[0-9]+$/) pts = substr(t[i], 8)
        else if (t[i] != "") rest = rest (rest == "" ? "" : ",") t[i]
    }
    print name "\t" pts "\t" rest
    tags = ""
}
