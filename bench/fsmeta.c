// SPDX-License-Identifier: GPL-2.0
/*
 * fsmeta: metadata rates of a file system, for the FUSE transport benchmark.
 *
 * usage: fsmeta [-t threads] [-n max_files] [-T seconds] DIR
 *
 * Each thread works in its own new directory DIR/fsmeta.<pid>.<thread> and
 * goes through three phases, all threads together (a barrier between them):
 * create empty files (open O_CREAT|O_EXCL, close) until it has made
 * max_files (default 100000) or the create phase has lasted -T seconds
 * (default 2), then stat() each file it made, then unlink() each. It prints
 * one line with the rate of each phase, counted over all threads from the
 * first thread's start to the last thread's end:
 *   threads=4 files=2000 create=1234.5 stat=2345.6 unlink=3456.7
 * (files: made by all threads; rates in operations per second), and exits
 * non-zero on any failed operation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { PH_CREATE, PH_STAT, PH_UNLINK, NR_PHASES };
static const char *const phase_names[NR_PHASES] = { "create", "stat", "unlink" };

static pthread_barrier_t barrier;
static const char *top;
static unsigned long max_files;
static double create_secs;
static unsigned long total_files;
static double phase_start[NR_PHASES], phase_end[NR_PHASES];
static int failed;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, const char *path)
{
	fprintf(stderr, "fsmeta: %s %s: %s\n", what, path, strerror(errno));
	__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
}

/* Returns how many files the phase went through, or -1 on a failure */
static long run_phase(int phase, const char *dir, unsigned long nfiles)
{
	double deadline = now() + create_secs;
	char path[PATH_MAX];
	struct stat st;
	unsigned long i;
	int fd;

	for (i = 0; i < nfiles; i++) {
		if (phase == PH_CREATE && !(i & 7) && now() >= deadline)
			break;
		snprintf(path, sizeof(path), "%s/f%lu", dir, i);
		switch (phase) {
		case PH_CREATE:
			fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
			if (fd < 0 || close(fd)) {
				fail("create", path);
				return -1;
			}
			break;
		case PH_STAT:
			if (stat(path, &st)) {
				fail("stat", path);
				return -1;
			}
			break;
		case PH_UNLINK:
			if (unlink(path)) {
				fail("unlink", path);
				return -1;
			}
			break;
		}
	}
	return i;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	char dir[PATH_MAX - 32];	/* room for /f<n> */
	unsigned long nfiles = max_files;
	int phase, ok = 1;
	long n;

	snprintf(dir, sizeof(dir), "%s/fsmeta.%d.%ld", top, (int)getpid(), id);
	if (mkdir(dir, 0755)) {
		fail("mkdir", dir);
		ok = 0;
	}
	for (phase = 0; phase < NR_PHASES; phase++) {
		/* The serial thread takes the times around each phase */
		if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
			phase_start[phase] = now();
		if (ok && !__atomic_load_n(&failed, __ATOMIC_RELAXED)) {
			n = run_phase(phase, dir, nfiles);
			ok = n >= 0;
			if (ok && phase == PH_CREATE) {
				nfiles = n;
				__atomic_add_fetch(&total_files, n, __ATOMIC_RELAXED);
			}
		}
		if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
			phase_end[phase] = now();
	}
	if (ok && rmdir(dir))
		fail("rmdir", dir);
	return NULL;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t threads] [-n max_files] [-T seconds] DIR\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long nthreads = 1;
	pthread_t *threads;
	unsigned long i;
	int opt, phase, err;
	char *end;

	max_files = 100000;
	create_secs = 2;
	while ((opt = getopt(argc, argv, "t:n:T:")) != -1) {
		switch (opt) {
		case 't':
			nthreads = strtoul(optarg, &end, 10);
			if (*end || !nthreads || nthreads > 256)
				usage(argv[0]);
			break;
		case 'n':
			max_files = strtoul(optarg, &end, 10);
			if (*end || !max_files || max_files > 10000000)
				usage(argv[0]);
			break;
		case 'T':
			create_secs = strtod(optarg, &end);
			if (*end || end == optarg || !(create_secs > 0 && create_secs < 1e6))
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind + 1 != argc)
		usage(argv[0]);
	top = argv[optind];

	threads = calloc(nthreads, sizeof(*threads));
	if (!threads || pthread_barrier_init(&barrier, NULL, nthreads)) {
		fprintf(stderr, "fsmeta: out of memory\n");
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		err = pthread_create(&threads[i], NULL, worker, (void *)i);
		if (err) {
			fprintf(stderr, "fsmeta: pthread_create: %s\n", strerror(err));
			return 1;	/* the others wait at the barrier forever */
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	if (failed)
		return 1;

	printf("threads=%lu files=%lu", nthreads, total_files);
	for (phase = 0; phase < NR_PHASES; phase++)
		printf(" %s=%.1f", phase_names[phase],
		       total_files / (phase_end[phase] - phase_start[phase]));
	printf("\n");
	return 0;
}
