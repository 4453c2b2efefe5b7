/*
 * Read bandwidth of this machine: THREADS threads each sum their own slice of one large buffer
 * (64-bit adds over 8 independent accumulators, vectorized by the compiler), so every byte is read
 * once from DRAM and nothing is written. This is the yardstick for a memory-bound decode step, which
 * streams its weights read-only on every core; a copy benchmark reads and writes and says nothing
 * about it.
 *
 *   cc -O3 -march=native -pthread read-bandwidth.c -o read-bandwidth
 *   ./read-bandwidth [threads=2] [mebibytes=1024] [rounds=7]
 *
 * Prints one line: "threads T bytes B median_gb_s X best_gb_s Y checksum C".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slice {
  const uint64_t *start;
  size_t count;
  uint64_t sum;
  pthread_barrier_t *barrier;
};

static void *sum_slice(void *argument) {
  struct slice *slice = argument;
  pthread_barrier_wait(slice->barrier);
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  const uint64_t *p = slice->start;
  size_t n = slice->count & ~(size_t)7;
  for (size_t i = 0; i < n; i += 8) {
    a0 += p[i];
    a1 += p[i + 1];
    a2 += p[i + 2];
    a3 += p[i + 3];
    a4 += p[i + 4];
    a5 += p[i + 5];
    a6 += p[i + 6];
    a7 += p[i + 7];
  }
  slice->sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  return NULL;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  size_t mebibytes = argc > 2 ? (size_t)atol(argv[2]) : 1024;
  int rounds = argc > 3 ? atoi(argv[3]) : 7;
  if (threads < 1 || threads > 64 || mebibytes < 1 || rounds < 1 || rounds > 100) {
    fprintf(stderr, "usage: read-bandwidth [threads 1-64] [mebibytes] [rounds 1-100]\n");
    return 2;
  }
  size_t bytes = mebibytes << 20;
  size_t words = bytes / sizeof(uint64_t);
  uint64_t *buffer = aligned_alloc(64, bytes);
  if (buffer == NULL) {
    fprintf(stderr, "cannot allocate %zu bytes\n", bytes);
    return 1;
  }
  for (size_t i = 0; i < words; i += 1) buffer[i] = i;
  double *rates = calloc(rounds, sizeof(double));
  uint64_t checksum = 0;
  for (int round = 0; round < rounds; round += 1) {
    pthread_t ids[64];
    struct slice slices[64];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, threads + 1);
    size_t per = words / threads;
    for (int t = 0; t < threads; t += 1) {
      slices[t] = (struct slice){buffer + per * t, per, 0, &barrier};
      pthread_create(&ids[t], NULL, sum_slice, &slices[t]);
    }
    pthread_barrier_wait(&barrier);
    double started = now_seconds();
    for (int t = 0; t < threads; t += 1) pthread_join(ids[t], NULL);
    double seconds = now_seconds() - started;
    pthread_barrier_destroy(&barrier);
    checksum = 0;
    for (int t = 0; t < threads; t += 1) checksum += slices[t].sum;
    rates[round] = (double)(per * threads * sizeof(uint64_t)) / seconds / 1e9;
  }
  qsort(rates, rounds, sizeof(double), compare);
  printf("threads %d bytes %zu median_gb_s %.2f best_gb_s %.2f checksum %llu\n", threads, bytes,
         rates[rounds / 2], rates[rounds - 1], (unsigned long long)checksum);
  free(rates);
  free(buffer);
  return 0;
}
