/* container: runs a command as a Docker-like container host would run the
 * grader (Gradescope's, most CI runners'), for tests/sandbox.bats: root, but
 * under a seccomp filter that refuses new namespaces and mounts, and without
 * CAP_SYS_ADMIN (gone from the bounding, permitted, effective and
 * inheritable sets), so that bubblewrap cannot start, as it cannot there.
 * Like a container it has a mount namespace of its own, in which the
 * project can be moved out of other users' reach (the hosts keep it in a
 * folder of root's, as Gradescope's /autograder).
 *
 * usage: container [--move SRC DST] [--cover DIR]... -- PROGRAM [ARG ...]
 *   --move SRC DST   SRC is seen at DST (an existing folder), and SRC
 *                    itself is covered by an empty folder
 *   --cover DIR      DIR is covered by an empty folder (a container holds
 *                    only what its image put there: no other checkout)
 * The filter, as Docker's default profile has it for a container without
 * CAP_SYS_ADMIN: unshare, setns, mount, umount2, pivot_root and clone with
 * any namespace flag fail with EPERM; clone3 with ENOSYS. It is installed
 * while CAP_SYS_ADMIN is still held, as Docker does, so no_new_privs stays
 * off.
 *
 *   $ container -- grading/lib/sandbox --probe --out /dev/null -- true
 *   uid+seccomp
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "container: %s: %s\n", what, strerror(errno));
    exit(125);
}

static void filter_load(void)
{
    static const int deny[] = {SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(mount),
                               SCMP_SYS(umount2), SCMP_SYS(pivot_root)};
    static const unsigned long ns_flags[] = {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC,
                                             CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
                                             CLONE_NEWCGROUP};
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        die("seccomp_init");
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    for (size_t i = 0; rc == 0 && i < sizeof deny / sizeof deny[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), deny[i], 0);
    for (size_t i = 0; rc == 0 && i < sizeof ns_flags / sizeof ns_flags[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        errno = -rc;
        die("seccomp filter");
    }
}

static void drop_sys_admin(void)
{
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0)
        die("dropping CAP_SYS_ADMIN from the bounding set");
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) != 0)
        die("capget");
    unsigned bit = 1u << (CAP_SYS_ADMIN % 32);
    int w = CAP_SYS_ADMIN / 32;
    data[w].effective &= ~bit;
    data[w].permitted &= ~bit;
    data[w].inheritable &= ~bit;
    if (syscall(SYS_capset, &hdr, data) != 0)
        die("capset");
}

int main(int argc, char **argv)
{
    const char *src = NULL, *dst = NULL;
    const char *cover[16];
    int ncover = 0;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--move") == 0 && i + 2 < argc) {
            src = argv[++i];
            dst = argv[++i];
        } else if (strcmp(argv[i], "--cover") == 0 && i + 1 < argc && ncover < 16) {
            cover[ncover++] = argv[++i];
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "container: unknown option '%s' (usage: container [--move SRC DST] [--cover DIR]... -- PROGRAM [ARG ...])\n",
                    argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "container: no command given\n");
        return 2;
    }
    if (unshare(CLONE_NEWNS) != 0)
        die("unshare(CLONE_NEWNS)");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        die("making / private");
    if (src) {
        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0)
            die("bind mount");
        if (mount("tmpfs", src, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m") != 0)
            die("covering the moved folder");
    }
    for (int k = 0; k < ncover; k++)
        if (mount("tmpfs", cover[k], "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m") != 0)
            die("covering a folder");
    filter_load();
    drop_sys_admin();
    execvp(argv[i], argv + i);
    fprintf(stderr, "container: cannot run %s: %s\n", argv[i], strerror(errno));
    return 127;
}
