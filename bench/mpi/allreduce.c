// bench/mpi: allreduce.fu in C with MPI (mpicc -O2).
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

enum { COUNT = 1 << 20, REPS = 30 };

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  double* send = malloc(COUNT * sizeof(double));
  double* recv = malloc(COUNT * sizeof(double));
  for (long i = 0; i < COUNT; i++) send[i] = rank + 1;
  MPI_Allreduce(send, recv, COUNT, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  for (int r = 0; r < REPS; r++) MPI_Allreduce(send, recv, COUNT, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  double seconds = (MPI_Wtime() - t0) / REPS;
  if (rank == 0) printf("allreduce %d %d %d %.17g %.17g\n", size, COUNT, REPS, seconds, recv[0]);
  MPI_Finalize();
  return 0;
}
