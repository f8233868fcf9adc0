// SPDX-License-Identifier: GPL-2.0
/*
 * roundtrip: what a wake-up round trip between two processes costs on this
 * machine, on one CPU and across two, for the FUSE transport benchmark.
 *
 * usage: roundtrip [-n round_trips] CPU_A CPU_B
 *
 * A parent bound to CPU_A and a child bound to CPU_B pass one byte back and
 * forth over two pipes, each side sleeping in read() until the other writes:
 * every round trip is two wake-ups and, with CPU_A == CPU_B, two process
 * switches on that CPU. This is the hand-over a FUSE request makes between
 * the application and the daemon: the ring serves a request on the
 * submitter's CPU (the CPU_A == CPU_B case) where /dev/fuse wakes a daemon
 * thread on another CPU. Prints one line:
 *   cpus=1,1 round_trips=5000 us=123.4
 * (us: mean microseconds per round trip) and exits non-zero on any error.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void bind_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	int to_child[2], to_parent[2], opt, cpu_a, cpu_b, status;
	long n = 5000, i;
	double start, end;
	char c = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			goto usage;
		n = strtol(optarg, NULL, 0);
	}
	if (argc - optind != 2 || n < 1)
		goto usage;
	cpu_a = atoi(argv[optind]);
	cpu_b = atoi(argv[optind + 1]);
	if (pipe(to_child) || pipe(to_parent))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(to_child[1]);
		close(to_parent[0]);
		bind_cpu(cpu_b);
		for (i = 0; i < n; i++)
			if (read(to_child[0], &c, 1) != 1 ||
			    write(to_parent[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	/* Only the child's ends open: a child that dies ends the reads */
	close(to_child[0]);
	close(to_parent[1]);
	bind_cpu(cpu_a);
	/* One round trip first, so that the child is bound and waiting */
	if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
		die("first round trip");
	start = now_us();
	for (i = 1; i < n; i++)
		if (write(to_child[1], &c, 1) != 1 ||
		    read(to_parent[0], &c, 1) != 1)
			die("round trip");
	end = now_us();
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child");
	printf("cpus=%d,%d round_trips=%ld us=%.1f\n", cpu_a, cpu_b, n,
	       n > 1 ? (end - start) / (n - 1) : 0.0);
	return 0;

usage:
	fprintf(stderr, "usage: roundtrip [-n round_trips] CPU_A CPU_B\n");
	return 2;
}
