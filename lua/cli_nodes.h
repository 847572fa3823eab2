/* cli_nodes.h — `ysgraph nodes` (lua/cli_nodes.c), used by the CLI's main.c. */
#ifndef YSG_CLI_NODES_H
#define YSG_CLI_NODES_H

#include "ysgraph.h"

/* Print every node type of ctx (name NULL) or one in full; markdown: the README table (of one
 * type when name is given). Returns 1 (after a message on stderr) for an unknown name, else 0. */
int ysg_cli_print_nodes(ysg_context *ctx, const char *name, int markdown);

#endif
