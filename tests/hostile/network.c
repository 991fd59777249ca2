/* A lab 01 submission that phones home: it connects to a port on the
 * loopback address, where the test has a listener waiting on the host, and
 * says what happened. The sandbox has a network namespace of its own, whose
 * loopback nobody listens on, so the connection is refused and the host's
 * listener never hears of it. It counts nothing, so the checks show its
 * output.
 * Refused by the inspection before it runs; graded without it (LAB_INSPECT=0,
 * what the sandbox alone must contain):
 * expect-score: 0
 * expect-reason: refused before anything ran
 * expect-output: calls connect()
 * uninspected-score: 0
 * uninspected-reason: == [0-9]+ / got 0
 * uninspected-output: network: connect: Connection refused
 * refuse-output: network: connected
 */
#include "counter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

counter_t *counter_create(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        printf("network: socket: %s\n", strerror(errno));
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(47613)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
            printf("network: connected\n");
        else
            printf("network: connect: %s\n", strerror(errno));
        close(s);
    }
    return calloc(1, 64);
}
void counter_inc(counter_t *c) { (void)c; }
long counter_get(counter_t *c) { return *(long *)c; }
void counter_destroy(counter_t *c) { free(c); }
