/* What a reader does with a token file: open, read to end of file, close;
 * in a loop, in T threads (at most 64). Prints the median and p99 latency
 * of one such cycle in microseconds and the total rate. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *path;
static int iters;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void *loop(void *arg)
{
	double *lat = arg;
	char buf[4096];
	for (int i = 0; i < iters; i++) {
		double t = now_us();
		int fd = open(path, O_RDONLY);
		ssize_t n, total = 0;
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			total += n;
		if (fd < 0 || total == 0) {
			perror(path);
			exit(1);
		}
		close(fd);
		lat[i] = now_us() - t;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: readloop FILE ITERATIONS THREADS\n");
		return 2;
	}
	path = argv[1];
	iters = atoi(argv[2]);
	int threads = atoi(argv[3]);
	if (threads < 1 || threads > 64)
		return 2;
	double *lat = calloc((size_t)iters * threads, sizeof(double));
	pthread_t th[64];
	double t0 = now_us();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, loop, lat + (size_t)i * iters);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double total = now_us() - t0;
	size_t n = (size_t)iters * threads;
	qsort(lat, n, sizeof(double), cmp);
	printf("%.1f %.1f %.0f\n", lat[n / 2], lat[n * 99 / 100], n / (total / 1e6));
	return 0;
}
