#include "cli/app.h"

int main(int argc, char** argv) { return ccgauge::cli::run(argc, argv); }
