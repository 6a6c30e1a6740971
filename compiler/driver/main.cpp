// The `fusion` executable.
#include "driver/driver.h"

int main(int argc, char** argv) { return fusion::driver::Main(argc, argv); }
