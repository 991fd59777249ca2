# Random numbers that hold on any bash, for the grader's pass tokens and
# sandbox uids. Bash 5.1 and later have SRANDOM (32 bits from the kernel's
# generator); on an older bash SRANDOM is an ordinary, empty name, and a
# token of it would be all zeros, every sandbox the same uid. There, these
# read /dev/urandom instead. The test is one expansion, so on a new bash the
# hot path (lab__run, called thousands of times by the meta-test) forks
# nothing.
#
# usage: source grading/lib/random.bash; random_u32 VAR; random_hex VAR N
# Each returns 1 (VAR unset) when no random source answers.

# random_u32 VAR: a random whole number from 0 to 2^32-1 in VAR.
random_u32() {
    local random__r
    if [[ -n ${SRANDOM:-} ]]; then
        random__r=$SRANDOM
    else
        random__r=$(od -An -N4 -tu4 /dev/urandom 2>/dev/null) || return 1
        random__r=${random__r//[[:space:]]/}
        [[ $random__r =~ ^[0-9]+$ ]] || return 1
    fi
    printf -v "$1" '%s' "$random__r"
}

# random_hex VAR N: N random 32-bit words in VAR, as 8N hex digits.
random_hex() {
    local random__i random__w random__out=""
    if [[ -n ${SRANDOM:-} ]]; then
        for ((random__i = 0; random__i < $2; random__i++)); do
            printf -v random__w '%08x' "$SRANDOM"
            random__out+=$random__w
        done
    else
        random__out=$(od -An -N$((4 * $2)) -tx4 /dev/urandom 2>/dev/null) || return 1
        random__out=${random__out//[[:space:]]/}
        ((${#random__out} == 8 * $2)) || return 1
    fi
    printf -v "$1" '%s' "$random__out"
}
