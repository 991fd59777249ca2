/* seccomp-exec: the second sandbox level's launcher and supervisor, for
 * hosts where bubblewrap cannot start (a container that refuses new
 * namespaces). grading/lib/sandbox runs it; it runs one untrusted command
 * and makes sure that nothing the command started outlives it.
 *
 * usage: seccomp-exec [--uid N] [--chdir DIR] -- PROGRAM [ARG ...]
 *   --uid N    run the command as uid and gid N with no groups, no
 *              capabilities (bounding, inheritable and ambient sets empty)
 *              and no_new_privs: what `setpriv --reuid=N --regid=N
 *              --clear-groups --inh-caps=-all --bounding-set=-all
 *              --no-new-privs` does. Done here rather than by setpriv so that
 *              this supervisor stays root, out of the command's reach (a
 *              supervisor of the same uid could be killed by it), and needs
 *              no path to itself the uid could open. Needs root.
 *   --chdir D  the command's working folder
 * The command gets a new session (and a process group it cannot leave:
 * setsid and setpgid are denied), and a seccomp filter (libseccomp) that
 * answers EPERM to: socket (every family), connect, bind, listen, accept,
 * accept4, socketpair but for AF_UNIX (lab 18's connections are
 * socketpairs), ptrace, process_vm_readv/writev, pidfd_getfd, mount and the
 * new mount API, umount2, pivot_root, chroot, unshare, setns, clone with a
 * namespace flag, keyctl, add_key, request_key, bpf, perf_event_open,
 * userfaultfd, io_uring_setup (its rings would do socket calls the filter
 * never sees), open_by_handle_at, the module and kexec calls, reboot, swapon,
 * swapoff, acct, personality but for a query; clone3 gets ENOSYS, so
 * that glibc falls back to clone, whose flags the filter can read.
 * When the command ends, or this supervisor gets TERM, INT or HUP (a
 * watchdog's), or its parent dies: its process group is killed and, with
 * --uid, every process of that uid; then it waits until it has no child
 * left (it is a child subreaper, so every orphan of the command comes back
 * to it): nothing survives.
 * Exit status: the command's, as a shell gives it (128 + N after signal N;
 * 128 + the signal that stopped this supervisor); 125 when the sandbox could
 * not be set up, 127 when PROGRAM cannot be run.
 *
 *   $ seccomp-exec --uid 234567 --chdir /tmp/box -- /usr/bin/id -u
 *   234567
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETUP_FAILED 125

static const char *prog = "seccomp-exec";

static void die(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
    _exit(SETUP_FAILED);
}

/* EPERM for every call that reaches out of the process (network, other
 * processes' memory), changes the view of the system (mounts, namespaces)
 * or talks to the kernel's privileged parts. */
static void filter_load(void)
{
    static const int deny[] = {
        SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
        SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(ptrace),
        SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(pidfd_getfd),
        SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
        SCMP_SYS(fsopen), SCMP_SYS(fsconfig), SCMP_SYS(fsmount), SCMP_SYS(fspick),
        SCMP_SYS(move_mount), SCMP_SYS(open_tree), SCMP_SYS(mount_setattr),
        SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(setsid), SCMP_SYS(setpgid),
        SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(bpf),
        SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd), SCMP_SYS(io_uring_setup),
        SCMP_SYS(open_by_handle_at), SCMP_SYS(init_module), SCMP_SYS(finit_module),
        SCMP_SYS(delete_module), SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load),
        SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(acct),
    };
    /* Every flag that makes clone create a namespace (CLONE_NEWTIME is only
     * read by clone3 and unshare: in clone's flags that bit is the exit
     * signal's). */
    static const unsigned long ns_flags[] = {
        CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        errno = ENOMEM;
        die("seccomp_init");
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof deny / sizeof deny[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), deny[i], 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socketpair), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX));
    for (size_t i = 0; rc == 0 && i < sizeof ns_flags / sizeof ns_flags[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* personality(0xffffffff) only reads the persona: ThreadSanitizer asks
     * it at start. Any change (such as READ_IMPLIES_EXEC) is refused. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                              SCMP_A0(SCMP_CMP_NE, 0xffffffffUL));
    if (rc == 0)
        rc = seccomp_load(ctx); /* sets no_new_privs first */
    seccomp_release(ctx);
    if (rc != 0) {
        errno = -rc;
        die("cannot install the seccomp filter");
    }
}

/* What setpriv --reuid --regid --clear-groups --inh-caps=-all
 * --bounding-set=-all does; no_new_privs comes with the filter. */
static void drop_to(uid_t uid)
{
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            die("cannot clear the capability bounding set");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        die("cannot clear the ambient capabilities");
    if (setgroups(0, NULL) != 0)
        die("setgroups");
    if (setresgid(uid, uid, uid) != 0)
        die("setresgid");
    if (setresuid(uid, uid, uid) != 0)
        die("setresuid");
    /* From root to another uid the kernel empties the permitted and
     * effective sets; the inheritable set goes with capset. */
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capset, &hdr, data) != 0)
        die("cannot clear the capabilities");
    if (setuid(0) == 0 || getuid() != uid) {
        errno = EPERM;
        die("the uid did not stick");
    }
}

/* Kills every process of uid but the caller: kill(-1) from that uid
 * reaches exactly those, and the kernel makes it atomic against fork. */
static void kill_uid(uid_t uid)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setresgid(uid, uid, uid) == 0 && setresuid(uid, uid, uid) == 0)
            kill(-1, SIGKILL);
        _exit(0);
    }
    /* The helper is a child like any other: the reaping loop collects it. */
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return SETUP_FAILED;
}

int main(int argc, char **argv)
{
    long uid = -1;
    const char *dir = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            uid = strtol(argv[++i], &end, 10);
            if (errno || *end || uid <= 0 || uid > 0x7fffffff) {
                fprintf(stderr, "%s: --uid wants a uid above 0, not '%s'\n", prog, argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--chdir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (usage: %s [--uid N] [--chdir DIR] -- PROGRAM [ARG ...])\n",
                    prog, argv[i], prog);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "%s: no command given\n", prog);
        return 2;
    }
    if (uid > 0 && geteuid() != 0) {
        fprintf(stderr, "%s: --uid needs root\n", prog);
        return 2;
    }

    /* A watchdog's signals are waited for, not handled: a shell may have
     * started this with them ignored, so they are reset first. */
    sigset_t watched, old;
    sigemptyset(&watched);
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        signal(sigs[k], SIG_DFL);
        sigaddset(&watched, sigs[k]);
    }
    if (sigprocmask(SIG_BLOCK, &watched, &old) != 0)
        die("sigprocmask");
    pid_t self = getpid(), parent = getppid();
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        die("cannot become a child subreaper");
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0 || getppid() != parent)
        die("cannot follow the parent's death");

    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        if (setsid() < 0)
            die("setsid");
        if (dir && chdir(dir) != 0)
            die("cannot enter the working folder");
        if (uid > 0)
            drop_to((uid_t)uid);
        /* Set after the uid change, which clears it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != self)
            die("cannot follow the supervisor's death");
        filter_load();
        if (sigprocmask(SIG_SETMASK, &old, NULL) != 0)
            die("sigprocmask");
        execvp(argv[i], argv + i);
        fprintf(stderr, "%s: cannot run %s: %s\n", prog, argv[i], strerror(errno));
        _exit(127);
    }

    int status = 0, stopped_by = 0, code = -1;
    while (code < 0 && !stopped_by) {
        siginfo_t si;
        int sig = sigwaitinfo(&watched, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            stopped_by = sig;
            break;
        }
        pid_t p;
        while ((p = waitpid(-1, &status, WNOHANG)) > 0)
            if (p == child)
                code = exit_code(status);
    }

    /* The command is done, or its time is: nothing of it may go on. */
    kill(-child, SIGKILL);
    if (uid > 0)
        kill_uid((uid_t)uid);
    struct timespec limit;
    clock_gettime(CLOCK_MONOTONIC, &limit);
    limit.tv_sec += 10;
    for (;;) {
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p > 0) {
            if (p == child && code < 0)
                code = exit_code(status);
            continue;
        }
        if (p < 0 && errno == ECHILD)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > limit.tv_sec) {
            fprintf(stderr, "%s: processes of the command would not die\n", prog);
            return SETUP_FAILED;
        }
        /* Killed processes take a moment to go; a new one cannot have
         * been started since the kill, but a second round costs nothing. */
        struct timespec tick = {0, 2000000};
        nanosleep(&tick, NULL);
        kill(-child, SIGKILL);
    }
    if (stopped_by)
        return 128 + stopped_by;
    return code;
}
