// run_child for the runtime's C tests: runs a function in a child process and captures what it
// prints, for tests of what ends the program (panics, crash reports, exit codes).
#ifndef FUSION_TESTS_TEST_CHILD_H
#define FUSION_TESTS_TEST_CHILD_H

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

// Runs `child` in a child process with stdout and stderr captured into `out` (NUL-terminated);
// returns its wait status. The child is killed (SIGALRM) after 20 s, so a hang fails the test.
static inline int run_child(void (*child)(void), char* out, size_t size) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(stdout);  // what the parent buffered is not printed twice
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    alarm(20);
    child();
    _exit(0);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < size && (r = read(fds[0], out + n, size - 1 - n)) > 0) n += (size_t)r;
  out[n] = '\0';
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  return status;
}

#endif
