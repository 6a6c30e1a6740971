// bench/mpi: halo.fu in C with MPI (mpicc -O2): the same data, steps and output.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

enum { N = 4096, STEPS = 10000 };

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int left = (rank + size - 1) % size, right = (rank + 1) % size;
  double* u = calloc(N + 2, sizeof(double));
  double* v = calloc(N + 2, sizeof(double));
  for (long i = 0; i < N + 2; i++) u[i] = (double)(((long)rank * N + i) % 97);
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  for (int s = 0; s < STEPS; s++) {
    MPI_Sendrecv(u + 1, 1, MPI_DOUBLE, left, 0, u + N + 1, 1, MPI_DOUBLE, right, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Sendrecv(u + N, 1, MPI_DOUBLE, right, 1, u, 1, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    for (long i = 1; i < N + 1; i++) v[i] = 0.5 * (u[i - 1] + u[i + 1]);
    double* t = u;
    u = v;
    v = t;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  double seconds = (MPI_Wtime() - t0) / STEPS;
  double sum = 0;
  for (long i = 1; i < N + 1; i++) sum += u[i];
  MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("halo %d %d %d %.17g %.17g\n", size, N, STEPS, seconds, sum);
  MPI_Finalize();
  return 0;
}
