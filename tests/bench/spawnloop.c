/* Times commands the way a shell runs them (posix_spawn + wait), with
 * less overhead than Python's subprocess, and interleaved so drift on a
 * shared machine hits every command alike.
 *   spawnloop ROUNDS CMD... [-- CMD...]...
 * Each `--`-separated group is one case; `++` inside a group chains steps
 * run one after another and timed together (mount ++ cat ++ umount). Each
 * round runs every case once. Prints two lines per case: the ROUNDS wall
 * times, then the CPU times (user + system of its processes; a FUSE
 * daemon's work is not in them), in microseconds. A step that fails ends
 * the run with exit 1. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define MAX_CASES 16
#define MAX_ROUNDS 10000

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Runs the steps of argv (NULL-terminated, "++" between steps); adds
 * their CPU time to *cpu_us. */
static int run_case(char **argv, posix_spawn_file_actions_t *quiet, double *cpu_us)
{
	while (*argv) {
		char **end = argv;
		while (*end && strcmp(*end, "++") != 0)
			end++;
		char *saved = *end;
		*end = NULL;
		pid_t pid;
		int status;
		struct rusage ru;
		int rc = posix_spawnp(&pid, argv[0], quiet, NULL, argv, environ);
		*end = saved;
		if (rc != 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "spawnloop: %s %s failed (status %d)\n", argv[0], argv[1] ? argv[1] : "", status);
			return -1;
		}
		*cpu_us += ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
		argv = saved ? end + 1 : end;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return fprintf(stderr, "usage: spawnloop ROUNDS CMD... [-- CMD...]...\n"), 2;
	int rounds = atoi(argv[1]), n = 0;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		return 2;
	char **cases[MAX_CASES];
	cases[n++] = &argv[2];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") != 0)
			continue;
		argv[i] = NULL;
		if (n == MAX_CASES)
			return 2;
		cases[n++] = &argv[i + 1];
	}
	posix_spawn_file_actions_t quiet;
	posix_spawn_file_actions_init(&quiet);
	posix_spawn_file_actions_addopen(&quiet, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", 1, 0);
	double *t = calloc((size_t)rounds * n, sizeof(double)), *cpu = calloc((size_t)rounds * n, sizeof(double));
	for (int r = 0; r < rounds; r++) {
		for (int c = 0; c < n; c++) {
			double t0 = now_us();
			if (run_case(cases[c], &quiet, &cpu[(size_t)c * rounds + r]) < 0)
				return 1;
			t[(size_t)c * rounds + r] = now_us() - t0;
		}
	}
	for (int c = 0; c < n; c++) {
		for (int k = 0; k < 2; k++) {
			const double *v = k ? cpu : t;
			for (int r = 0; r < rounds; r++)
				printf("%s%.1f", r ? " " : "", v[(size_t)c * rounds + r]);
			printf("\n");
		}
	}
	return 0;
}
