# Autolab's key for each check of a grade.bats: one line each,
# "key<TAB>test name", in file order. The key is the name of the driver
# check the @test runs (lab_check lost-updates -> lost_updates), so it stays
# put when a test's wording changes; a ThreadSanitizer check whose name a
# plain check already took gets _tsan, any other repeat _2, _3, ... Only
# letters, digits and _: Autolab quotes `word:` itself before it parses
# the line, and a key is the name of an Autolab problem.
# usage: awk -f grading/autolab/keys.awk labs/NN-slug/grade.bats
function emit(   k, n, try) {
    if (name == "") return
    k = (check != "") ? check : name
    gsub(/[^A-Za-z0-9]+/, "_", k)
    gsub(/^_+|_+$/, "", k)
    if (k == "") k = "check"
    if ((k in used) && tsan) k = k "_tsan"
    try = k
    for (n = 2; try in used; n++) try = k "_" n
    used[try] = 1
    print try "\t" name
    name = ""
}
/^@test / {
    emit()
    name = $0
    sub(/^@test "/, "", name)
    sub(/" *\{ *$/, "", name)
    check = ""
    tsan = 0
    next
}
name != "" && check == "" && match($0, /lab_(check_tsan|check|perf)[ \t]+[A-Za-z0-9_.-]+/) {
    split(substr($0, RSTART, RLENGTH), w, /[ \t]+/)
    check = w[2]
    tsan = (w[1] == "lab_check_tsan")
}
END { emit() }
