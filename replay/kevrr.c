/*
 * kevrr.c: the `kevrr` command: dispatches to one subcommand per file
 * through a table, and prints help.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const kev_cmd *const commands[] = {&kev_cmd_run,   &kev_cmd_gen,    &kev_cmd_info,
                                          &kev_cmd_dump,  &kev_cmd_verify, &kev_cmd_cut,
                                          &kev_cmd_merge, &kev_cmd_export, &kev_cmd_import,
                                          &kev_cmd_plot,  &kev_cmd_replay, &kev_cmd_reduce,
                                          &kev_cmd_bisect, &kev_cmd_why, &kev_cmd_capture, &kev_cmd_send,
                                          &kev_cmd_query};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: kevrr COMMAND [OPTIONS] [ARGS]\n\n"
                 "kevrr records, replays and fuzzes configd's kernel-event monitor.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-10s %s\n", "help", "show help for a command: kevrr help COMMAND");
    fprintf(out, "  %-10s %s\n", "version", "print the version");
    fprintf(out, "\nSee docs/cli.md for every command, option and exit code.\n");
}

static const kev_cmd *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return KEV_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (kev_cli_is_help(name)) {
        usage(stdout);
        return KEV_EXIT_OK;
    }
    if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
        printf("kevrr %s\n", KEVRR_VERSION_STRING);
        return KEV_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return KEV_EXIT_OK;
        }
        if (strcmp(argv[2], "help") == 0) {
            usage(stdout); /* help about help: the list of commands */
            return KEV_EXIT_OK;
        }
        if (strcmp(argv[2], "version") == 0) {
            puts("usage: kevrr version\n\nPrint the version.");
            return KEV_EXIT_OK;
        }
        const kev_cmd *c = find(argv[2]);
        if (c == NULL) {
            fprintf(stderr, "kevrr: no command '%s'; see kevrr help\n", argv[2]);
            return KEV_EXIT_USAGE;
        }
        kev_cli_usage_print(c->usage, stdout);
        return KEV_EXIT_OK;
    }
    const kev_cmd *c = find(name);
    if (c == NULL) {
        fprintf(stderr, "kevrr: no command '%s'; see kevrr help\n", name);
        return KEV_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
