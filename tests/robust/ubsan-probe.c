/* ubsan-probe.c: signed overflow on purpose. In a build with
 * -Db_sanitize=...undefined, UndefinedBehaviorSanitizer reports it, and the
 * test (should_fail) passes only when that report stops the program: proof
 * that UBSAN_OPTIONS=halt_on_error=1 reaches the tests (tests/run-all.sh
 * exports it; meson 1.0 does not set it). GPL-3.0-or-later. */
#include <limits.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
  volatile int big = INT_MAX;
  int sum = big + argc;   /* argc >= 1: overflows */

  printf ("the overflow was not stopped: %d\n", sum);
  return 0;
}
