/* What a reader does with a token file: open, read to end of file, close;
 * in a loop, in T threads (at most 64).
 *
 *   readloop FILE ITERATIONS THREADS
 *     prints the median and p99 latency of one such cycle in microseconds
 *     and the total rate (cycles per second).
 *   readloop FILE ITERATIONS THREADS FILE2 BLOCK
 *     reads both files, each ITERATIONS times per thread, in rounds: all
 *     threads read BLOCK cycles of one file, wait for each other, then
 *     BLOCK of the other (which goes first alternates). Both files so see
 *     the same moments of a noisy machine: where the scheduler puts the
 *     threads changes a cycle's time several-fold from second to second.
 *     Prints the line above for FILE, then for FILE2, then one line per
 *     round: the median cycle of FILE and of FILE2 in that round. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *paths[2];
static int files = 1, iters, block, threads;
static pthread_barrier_t turn;
static double *lat[2];  /* [file][thread * iters + i] */
static double wall[2];  /* time spent on each file's rounds, by thread 0 */

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* n cycles of open, read to EOF, close on path; latencies into out. */
static void cycles(const char *path, double *out, int n)
{
	char buf[4096];
	for (int i = 0; i < n; i++) {
		double t = now_us();
		int fd = open(path, O_RDONLY);
		ssize_t got, total = 0;
		while (fd >= 0 && (got = read(fd, buf, sizeof(buf))) > 0)
			total += got;
		if (fd < 0 || total == 0) {
			perror(path);
			exit(1);
		}
		close(fd);
		out[i] = now_us() - t;
	}
}

static void *loop(void *arg)
{
	int me = (int)(long)arg;
	if (files == 1) {
		cycles(paths[0], lat[0] + (size_t)me * iters, iters);
		return NULL;
	}
	for (int done = 0, round = 0; done < iters; done += block, round++) {
		int n = iters - done < block ? iters - done : block;
		for (int k = 0; k < 2; k++) {
			int f = (round + k) % 2;
			pthread_barrier_wait(&turn);
			double t = now_us();
			cycles(paths[f], lat[f] + (size_t)me * iters + done, n);
			pthread_barrier_wait(&turn);
			if (me == 0)
				wall[f] += now_us() - t;
		}
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp);
	return v[n / 2];
}

/* The median of file f's cycles in the round starting at done. */
static double round_median(int f, int done, int n)
{
	double *v = malloc(sizeof(double) * (size_t)n * threads);
	for (int t = 0; t < threads; t++)
		for (int i = 0; i < n; i++)
			v[t * n + i] = lat[f][(size_t)t * iters + done + i];
	double m = median(v, (size_t)n * threads);
	free(v);
	return m;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 6) {
		fprintf(stderr, "usage: readloop FILE ITERATIONS THREADS [FILE2 BLOCK]\n");
		return 2;
	}
	paths[0] = argv[1];
	iters = atoi(argv[2]);
	threads = atoi(argv[3]);
	if (argc == 6) {
		files = 2;
		paths[1] = argv[4];
		block = atoi(argv[5]);
	}
	if (iters < 1 || threads < 1 || threads > 64 || (files == 2 && block < 1))
		return 2;
	size_t n = (size_t)iters * threads;
	for (int f = 0; f < files; f++)
		lat[f] = calloc(n, sizeof(double));
	pthread_barrier_init(&turn, NULL, (unsigned)threads);
	pthread_t th[64];
	double t0 = now_us();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, loop, (void *)(long)i);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	if (files == 1)
		wall[0] = now_us() - t0;
	/* per-round medians first: the overall median sorts lat in place */
	int rounds = files == 2 ? (iters + block - 1) / block : 0;
	double *per = calloc((size_t)rounds * 2 + 1, sizeof(double));
	for (int r = 0; r < rounds; r++)
		for (int f = 0; f < 2; f++)
			per[r * 2 + f] = round_median(f, r * block, iters - r * block < block ? iters - r * block : block);
	for (int f = 0; f < files; f++) {
		double m = median(lat[f], n);
		printf("%.1f %.1f %.0f\n", m, lat[f][n * 99 / 100], n / (wall[f] / 1e6));
	}
	for (int r = 0; r < rounds; r++)
		printf("%.1f %.1f\n", per[r * 2], per[r * 2 + 1]);
	return 0;
}
