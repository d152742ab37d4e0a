/* main.c - the rapport program: the model is the library (include/rapport/),
 * the command line is cli/ (cli.h). */
#include "cli.h"

int main(int argc, char **argv)
{
    return rp_cli_main(argc, argv);
}
